import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { httpEdge } from './http/middlewares.js';
import { json } from './http/responses.js';

/** `GET /health` — liveness only: it touches no dependency, so it says the function runs. */
export function createHealthHandler() {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async () => json(200, { status: 'ok' }));
}
