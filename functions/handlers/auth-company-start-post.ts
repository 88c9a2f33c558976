import type { MiddlewareObj } from '@middy/core';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { startCompanyLogin, type StartCompanyLoginPorts } from '../core/use-cases/link-by-web-login.js';
import { httpEdge, jsonBody, validateBody } from './http/middlewares.js';
import { bearerRequired, bearerToken } from './http/bearer-token.js';
import { json } from './http/responses.js';
import { consentVersionSchema } from './http/schemas.js';
import { bindingCookie, type WebPageSettings } from './http/web-pages.js';

/** What `POST /auth/company/start` needs. */
export interface AuthCompanyStartPostDeps {
  ports: StartCompanyLoginPorts;
  web: WebPageSettings;
}

/** Body of `POST /auth/company/start` (optional). */
const StartRequest = z.object({
  returnTo: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  consentVersion: consentVersionSchema,
});
type StartRequest = z.infer<typeof StartRequest>;

/** No body at all is the same as `{}`. */
const emptyBodyIsEmptyObject: MiddlewareObj<APIGatewayProxyEventV2> = {
  before: async (request) => {
    const event = request.event;
    if (event.body === undefined || event.body === '') {
      event.body = '{}';
      event.isBase64Encoded = false;
      event.headers = { ...event.headers, 'content-type': 'application/json' };
    }
  },
};

/**
 * `POST /auth/company/start` with `Authorization: Bearer <LINE token>` and optionally
 * `{"returnTo": "<allowlisted URL>", "consentVersion": "…"}` — for a LIFF app that already holds
 * a LINE token: opens the company leg for the verified LINE user and answers
 * `{"authorizeUrl": "…"}` with the binding cookie. The app then navigates to `authorizeUrl`; the
 * flow ends at `GET /auth/company/callback` as in the full web flow. The cookie is SameSite=Lax,
 * so the app must be same-site with the API and call with `credentials: 'include'`.
 */
export function createAuthCompanyStartPostHandler({ ports, web: config }: AuthCompanyStartPostDeps) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .use(bearerRequired())
    .use(emptyBodyIsEmptyObject as MiddlewareObj)
    .use(jsonBody())
    .use(validateBody(StartRequest))
    .handler(async (event) => {
      const body = event.body as unknown as StartRequest;
      const started = await startCompanyLogin(
        {
          lineToken: bearerToken(event),
          ...(body.returnTo !== undefined ? { returnTo: body.returnTo } : {}),
          ...(body.consentVersion !== undefined ? { consentVersion: body.consentVersion } : {}),
        },
        ports,
      );
      return {
        ...json(200, { authorizeUrl: started.redirectTo }),
        cookies: [bindingCookie(config, started.binding)],
      };
    });
}
