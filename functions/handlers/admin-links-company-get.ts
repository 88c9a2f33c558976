import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { lookupLink, type AdminLinkPorts } from '../core/use-cases/admin-links.js';
import { adminCaller, companyIdSchema, pathParameter } from './http/admin.js';
import { httpEdge } from './http/middlewares.js';
import { json } from './http/responses.js';

/** `GET /admin/links/company/{companyUserId}` — the member's link, or 404 `not-linked`. IAM-authorized. */
export function createAdminLinksCompanyGetHandler(ports: AdminLinkPorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async (event) => {
      const caller = adminCaller(event);
      const companyUserId = pathParameter(event, 'companyUserId', companyIdSchema);
      return json(200, await lookupLink({ companyUserId }, caller, ports));
    });
}
