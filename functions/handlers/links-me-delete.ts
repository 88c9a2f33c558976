import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { unlinkMe, type UnlinkMePorts } from '../core/use-cases/unlink-me.js';
import { httpEdge } from './http/middlewares.js';
import { bearerToken } from './http/bearer-token.js';
import { noContent } from './http/responses.js';

/**
 * The response header that tells the front end what happened, so its notice says only that:
 * `not-linked` (nothing to unlink), else the deauthorize outcome of the removed link
 * (`deauthorized`, `deauthorize-failed`, `deauthorize-not-possible`). A header rather than a
 * body keeps the route's 204 for every client written against it.
 */
export const UNLINK_RESULT_HEADER = 'Unlink-Result';

/**
 * `DELETE /links/me` — unlink both sides; 204 whether or not there was a link. With a LINE access
 * token the app is also deauthorized at LINE (after the unlink; outcome audited and in
 * {@link UNLINK_RESULT_HEADER}).
 */
export function createLinksMeDeleteHandler(ports: UnlinkMePorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async (event) => {
      const result = await unlinkMe({ lineToken: bearerToken(event) }, ports);
      const response = noContent();
      return {
        ...response,
        headers: { ...response.headers, [UNLINK_RESULT_HEADER]: result.deauthorize ?? 'not-linked' },
      };
    });
}
