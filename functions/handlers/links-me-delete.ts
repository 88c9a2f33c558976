import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { unlinkMe, type UnlinkMePorts } from '../core/use-cases/unlink-me.js';
import { httpEdge } from './http/middlewares.js';
import { bearerToken } from './http/bearer-token.js';
import { noContent } from './http/responses.js';

/**
 * `DELETE /links/me` — unlink both sides; 204 whether or not there was a link. With a LINE access
 * token the app is also deauthorized at LINE (after the unlink; outcome audited).
 */
export function createLinksMeDeleteHandler(ports: UnlinkMePorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async (event) => {
      await unlinkMe({ lineToken: bearerToken(event) }, ports);
      return noContent();
    });
}
