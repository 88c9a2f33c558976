import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { completeCompanyCallback, type AccountLinkPorts } from '../core/use-cases/account-link.js';
import { logger } from '../observability/logger.js';
import { countMetric } from '../observability/metrics.js';
import { countRefusal } from './http/error-table.js';
import {
  callbackInput,
  clearBindingCookie,
  errorPage,
  htmlEdge,
  redirectTo,
  type WebPageSettings,
} from './http/web-pages.js';

/** What `GET /auth/company/callback` needs. */
export interface AuthCompanyCallbackGetDeps {
  /** The web flow's ports and, since pattern 4 shares this callback, the account link's. */
  ports: Parameters<typeof completeCompanyCallback>[1] & AccountLinkPorts;
  web: WebPageSettings;
}

/**
 * `GET /auth/company/callback?code=…&state=…` — the company IdP's redirect back. Consumes the
 * company session exactly once (browser-bound like the LINE one), redeems the code with PKCE and
 * the client secret, and verifies the ID token with the stored nonce. Then:
 *
 * - web flow: links the LINE user the first leg proved to the company user through the same use
 *   case as `POST /links` (method `oidc`), and redirects to
 *   `returnTo?result=linked|already_linked|conflict|cancelled|error`;
 * - account-link flow (pattern 4, started at `/account-link/start`): stores a one-time nonce with
 *   the company user ID and redirects to LINE's account-link dialog; LINE's signed `accountLink`
 *   webhook event completes the link.
 *
 * Tokens and codes never appear in those URLs. A lost state shows the "sign in again" page and
 * consumes nothing.
 */
export function createAuthCompanyCallbackGetHandler({ ports, web: config }: AuthCompanyCallbackGetDeps) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(htmlEdge(config))
    .handler(async (event) => {
      const outcome = await completeCompanyCallback(callbackInput(event, config), ports);
      if (outcome.flow === 'account-link') {
        if (outcome.kind === 'dialog') return redirectTo(outcome.redirectTo, [clearBindingCookie(config)]);
        const page = errorPage(outcome.error, config);
        return { ...page, cookies: [clearBindingCookie(config)] };
      }
      if (outcome.result === 'linked') countMetric('LinksCreated');
      if (outcome.error) {
        countRefusal(outcome.error.code);
        const level =
          outcome.result === 'error' && /unavailable|bad-response/.test(outcome.error.code)
            ? 'error'
            : 'info';
        logger[level]('web flow ended without a new link', {
          result: outcome.result,
          code: outcome.error.code,
        });
      }
      return redirectTo(outcome.redirectTo, [clearBindingCookie(config)]);
    });
}
