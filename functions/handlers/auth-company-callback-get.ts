import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { completeCompanyLogin } from '../core/use-cases/web-login.js';
import { logger } from './http/logger.js';
import { countMetric, countRefusal } from './http/metrics.js';
import { callbackInput, clearBindingCookie, htmlEdge, redirectTo } from './http/web-pages.js';
import { auditLog, linkRepository, webConfig, webLoginPorts } from './wiring.js';

const config = webConfig();
const ports = { ...webLoginPorts(), links: linkRepository(), audit: auditLog() };

/**
 * `GET /auth/company/callback?code=…&state=…` — the company IdP's redirect back. Consumes the
 * company session exactly once (browser-bound like the LINE one), redeems the code with PKCE and
 * the client secret, verifies the ID token with the stored nonce, links the LINE user the first
 * leg proved to the company user through the same use case as `POST /links` (method `oidc`), and
 * redirects to `returnTo?result=linked|already_linked|conflict|cancelled|error`. Tokens and codes
 * never appear in that URL. A lost state shows the "sign in again" page and consumes nothing.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(htmlEdge(webConfig))
  .handler(async (event) => {
    const outcome = await completeCompanyLogin(callbackInput(event, config), ports);
    if (outcome.result === 'linked') countMetric('LinksCreated');
    if (outcome.error) {
      countRefusal(outcome.error.code);
      const level =
        outcome.result === 'error' && /unavailable|bad-response/.test(outcome.error.code) ? 'error' : 'info';
      logger[level]('web flow ended without a new link', {
        result: outcome.result,
        code: outcome.error.code,
      });
    }
    return redirectTo(outcome.redirectTo, [clearBindingCookie(config)]);
  });
