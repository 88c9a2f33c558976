import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { publicLink } from '../core/link.js';
import { getMyLink, type GetMyLinkPorts } from '../core/use-cases/get-my-link.js';
import { httpEdge } from './http/middlewares.js';
import { bearerToken } from './http/bearer-token.js';
import { json } from './http/responses.js';

/** `GET /links/me` — the caller's own link (with `friend`: true, false or null), or 404 `not-linked`. */
export function createLinksMeGetHandler(ports: GetMyLinkPorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async (event) =>
      json(200, publicLink(await getMyLink({ lineToken: bearerToken(event) }, ports))),
    );
}
