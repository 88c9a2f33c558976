import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import type { UnlinkReason } from '../core/ports/index.js';
import { adminUnlink, type AdminUnlinkPorts } from '../core/use-cases/admin-links.js';
import { adminCaller, companyIdSchema, pathParameter, unlinkBodySchema } from './http/admin.js';
import { httpEdge, jsonBody, validateBody } from './http/middlewares.js';
import { json } from './http/responses.js';

/**
 * `POST /admin/links/company/{companyUserId}/unlink` with `{"reason": "membership-ended" |
 * "erasure-request" | "support"}` → 200 with what was done (also when nothing was linked).
 * `erasure-request` also removes every personal value of the member (see PersonalDataEraser).
 */
export function createAdminLinksUnlinkPostHandler(ports: AdminUnlinkPorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .use(jsonBody())
    .use(validateBody(unlinkBodySchema))
    .handler(async (event) => {
      const caller = adminCaller(event);
      const companyUserId = pathParameter(event, 'companyUserId', companyIdSchema);
      const { reason } = event.body as unknown as { reason: UnlinkReason };
      return json(200, await adminUnlink({ companyUserId, reason }, caller, ports));
    });
}
