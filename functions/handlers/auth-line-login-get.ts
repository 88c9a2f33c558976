import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { InvalidRequestError } from '../core/errors.js';
import { startLineLogin, type WebLoginPorts } from '../core/use-cases/link-by-web-login.js';
import { consentVersionSchema } from './http/schemas.js';
import { bindingCookie, htmlEdge, queryParam, redirectTo, type WebPageSettings } from './http/web-pages.js';

/** What `GET /auth/line/login` needs. */
export interface AuthLineLoginGetDeps {
  ports: WebLoginPorts;
  web: WebPageSettings;
}

/**
 * `GET /auth/line/login?returnTo=<allowlisted URL>[&disable_auto_login=true][&consentVersion=…]`
 * — starts the web flow: stores a LINE login session (state, nonce, PKCE verifier, returnTo;
 * 10 minutes), sets the binding cookie and redirects to LINE's authorization endpoint. A
 * `returnTo` that is not exactly one of APP_RETURN_URLS gets an HTML 400 page; without one, the
 * first allowlisted URL is used.
 */
export function createAuthLineLoginGetHandler({ ports, web: config }: AuthLineLoginGetDeps) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(htmlEdge(config))
    .handler(async (event) => {
      const consent = consentVersionSchema.safeParse(queryParam(event, 'consentVersion'));
      if (!consent.success) {
        throw new InvalidRequestError('consentVersion is not a valid consent version.', [
          { path: 'consentVersion', message: 'Invalid consent version.' },
        ]);
      }
      const started = await startLineLogin(
        {
          returnTo: queryParam(event, 'returnTo'),
          disableAutoLogin: queryParam(event, 'disable_auto_login') === 'true',
          ...(consent.data !== undefined ? { consentVersion: consent.data } : {}),
        },
        ports,
      );
      return redirectTo(started.redirectTo, [bindingCookie(config, started.binding)]);
    });
}
