import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { lookupLink } from '../core/use-cases/admin-links.js';
import { adminCaller, lineUserIdSchema, pathParameter } from './http/admin.js';
import { httpEdge } from './http/middlewares.js';
import { json } from './http/responses.js';
import { adminLinkPorts } from './wiring.js';

const ports = adminLinkPorts();

/** `GET /admin/links/line/{lineUserId}` — the LINE user's link, or 404 `not-linked`. IAM-authorized. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(httpEdge())
  .handler(async (event) => {
    const caller = adminCaller(event);
    const lineUserId = pathParameter(event, 'lineUserId', lineUserIdSchema);
    return json(200, await lookupLink({ lineUserId }, caller, ports));
  });
