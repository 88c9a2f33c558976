import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { unlockMember, type UnlockMemberPorts } from '../core/use-cases/admin-links.js';
import { adminCaller, companyIdSchema, pathParameter, unlockBodySchema } from './http/admin.js';
import { httpEdge, jsonBody, validateBody } from './http/middlewares.js';
import { json } from './http/responses.js';

/**
 * `POST /admin/members/{memberId}/unlock` (body optional: `{"lineUserId": "U…"}`) → 200 with how
 * many attempt counters were cleared.
 */
export function createAdminMembersUnlockPostHandler(ports: UnlockMemberPorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .use(jsonBody())
    .use(validateBody(unlockBodySchema))
    .handler(async (event) => {
      const caller = adminCaller(event);
      const memberId = pathParameter(event, 'memberId', companyIdSchema);
      const { lineUserId } = event.body as unknown as { lineUserId?: string };
      return json(200, await unlockMember({ memberId, lineUserId }, caller, ports));
    });
}
