import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { lookupLink, type AdminLinkPorts } from '../core/use-cases/admin-links.js';
import { adminCaller, lineUserIdSchema, pathParameter } from './http/admin.js';
import { httpEdge } from './http/middlewares.js';
import { json } from './http/responses.js';

/** `GET /admin/links/line/{lineUserId}` — the LINE user's link, or 404 `not-linked`. IAM-authorized. */
export function createAdminLinksLineGetHandler(ports: AdminLinkPorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async (event) => {
      const caller = adminCaller(event);
      const lineUserId = pathParameter(event, 'lineUserId', lineUserIdSchema);
      return json(200, await lookupLink({ lineUserId }, caller, ports));
    });
}
