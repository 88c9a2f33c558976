import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { completeLineLogin, type WebLoginPorts } from '../core/use-cases/link-by-web-login.js';
import type { FriendshipStore } from '../core/ports/index.js';
import { returnUrlWithResult } from '../core/login-session.js';
import {
  bindingCookie,
  callbackInput,
  clearBindingCookie,
  errorPage,
  htmlEdge,
  queryParam,
  redirectTo,
  type WebPageSettings,
} from './http/web-pages.js';
import { logger } from '../observability/logger.js';

/** What `GET /auth/line/callback` needs. */
export interface AuthLineCallbackGetDeps {
  ports: WebLoginPorts;
  /** Where a friendship LINE reported during the login is recorded. */
  friendship: Pick<FriendshipStore, 'record'>;
  web: WebPageSettings;
}

/**
 * `GET /auth/line/callback?code=…&state=…` (or `?error=…&state=…`) — LINE's redirect back.
 * Consumes the login session exactly once (only from the browser holding its binding cookie),
 * redeems the code with the PKCE verifier, verifies the HS256 ID token with the stored nonce,
 * then starts the company leg: a new session and binding cookie, and a 302 to the company IdP.
 *
 * A lost, replayed, expired or foreign state shows a "sign in again" page (restarting with
 * `disable_auto_login=true`) and consumes nothing; a cancel shows the cancel page; any other
 * failure an error page with its code. API Gateway routes HEAD separately, so a HEAD (a link
 * preview, a prefetch) never reaches this handler and never consumes a state.
 */
export function createAuthLineCallbackGetHandler({
  ports,
  friendship,
  web: config,
}: AuthLineCallbackGetDeps) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(htmlEdge(config))
    .handler(async (event) => {
      const outcome = await completeLineLogin(callbackInput(event, config), ports);
      if (outcome.kind === 'continue') {
        // With bot_prompt, LINE reports whether the user added (or unblocked) the Official Account
        // during this login (https://developers.line.biz/en/docs/line-login/link-a-bot/): then they are a friend now.
        if (queryParam(event, 'friendship_status_changed') === 'true') {
          await friendship
            .record(outcome.lineUserId, true, new Date().toISOString())
            .catch((error: unknown) =>
              logger.warn('friendship not recorded', {
                cause: error instanceof Error ? error.name : 'unknown',
              }),
            );
        }
        return redirectTo(outcome.redirectTo, [bindingCookie(config, outcome.binding)]);
      }
      const result = outcome.kind === 'cancelled' ? 'cancelled' : 'error';
      const page = errorPage(outcome.error, config, {
        returnToApp: returnUrlWithResult(outcome.returnTo, result),
        returnTo: outcome.returnTo,
      });
      return { ...page, cookies: [clearBindingCookie(config)] };
    });
}
