import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { linkWithOidc, type LinkWithOidcPorts } from '../core/use-cases/link-with-oidc.js';
import { httpEdge, jsonBody, validateBody } from './http/middlewares.js';
import { bearerRequired, bearerToken } from './http/bearer-token.js';
import { linkResponse } from './http/responses.js';
import { consentVersionSchema } from './http/schemas.js';

const companyToken = z.string().check(z.minLength(1), z.maxLength(8192));

/**
 * Body of `POST /links`: exactly one company token, an ID token or an access token. Unknown
 * fields (a client-sent `lineUserId`) are dropped, never trusted.
 */
const LinkRequest = z
  .object({
    companyIdToken: z.optional(companyToken),
    companyAccessToken: z.optional(companyToken),
    consentVersion: consentVersionSchema,
  })
  .check(
    z.refine((body) => (body.companyIdToken === undefined) !== (body.companyAccessToken === undefined), {
      error: 'Send exactly one of companyIdToken and companyAccessToken.',
    }),
  );
type LinkRequest = z.infer<typeof LinkRequest>;

/**
 * `POST /links` — pattern 1 from a LIFF app: 201 new link, 200 same pair again, 409 conflict.
 * The company token (`companyIdToken`, or `companyAccessToken` checked at the IdP) must be fresh
 * (COMPANY_ID_TOKEN_MAX_AGE_SECONDS, else 401 `invalid-company-token`) and is bound to the first LINE user it links: from another LINE user it
 * is 401 `company-token-replayed`, from the same one a retry. The new link shows `friend` at once:
 * from LINE's friendship status API when the bearer is a LINE access token (not an ID token), or
 * else from the follow / unfollow events learned before. Where LINE_REQUIRE_NONCE is on, the
 * bearer must be a LINE ID token whose nonce came from `POST /links/nonce` and is unused (401
 * `line-nonce-required` / `line-nonce-rejected`); the link uses it up.
 */
export function createLinksPostHandler(ports: LinkWithOidcPorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .use(bearerRequired())
    .use(jsonBody())
    .use(validateBody(LinkRequest))
    .handler(async (event) => {
      const body = event.body as unknown as LinkRequest;
      const request = { lineToken: bearerToken(event), consentVersion: body.consentVersion };
      const result = await linkWithOidc(
        body.companyIdToken !== undefined
          ? { ...request, companyIdToken: body.companyIdToken }
          : { ...request, companyAccessToken: body.companyAccessToken! },
        ports,
      );
      return linkResponse(result);
    });
}
