import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { startAccountLink } from '../core/use-cases/account-link.js';
import { bindingCookie, htmlEdge, queryParam, redirectTo, type WebPageSettings } from './http/web-pages.js';

/** What `GET /account-link/start` needs. */
export interface AccountLinkStartGetDeps {
  ports: Parameters<typeof startAccountLink>[1];
  web: WebPageSettings;
}

/**
 * `GET /account-link/start?linkToken=…` — the linking URL the LINE Official Account sends
 * (pattern 4). Opens the company IdP leg exactly like the web flow (state, nonce, PKCE, the
 * browser-binding cookie, 10 minutes, one-time) with the link token in the session, and
 * redirects to the company IdP. Its callback (`GET /auth/company/callback`) then sends the
 * browser to LINE's account-link dialog with a fresh nonce. A missing or malformed link token,
 * or one the bot did not issue in the last 10 minutes, gets an HTML 400 page and stores nothing.
 */
export function createAccountLinkStartGetHandler({ ports, web }: AccountLinkStartGetDeps) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(htmlEdge(web))
    .handler(async (event) => {
      const started = await startAccountLink({ linkToken: queryParam(event, 'linkToken') }, ports);
      return redirectTo(started.redirectTo, [bindingCookie(web, started.binding)]);
    });
}
