import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { getAudienceJob } from '../core/use-cases/audience-jobs.js';
import { adminCaller, jobPageOf } from './http/admin.js';
import { httpEdge } from './http/middlewares.js';
import { json } from './http/responses.js';

/**
 * `GET /admin/audiences/jobs/{jobId}[?cursor=…]` — the job's status (`running` | `done` |
 * `failed`), the audience ID, counts (requested, linked, not linked, uploaded), its errors, and a
 * page of the members found not linked (`nextCursor` for the next page).
 */
export function createAdminAudiencesJobGetHandler(ports: Parameters<typeof getAudienceJob>[1]) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async (event) => {
      adminCaller(event);
      const { jobId, from } = jobPageOf(event);
      return json(200, await getAudienceJob({ jobId, fromPart: from }, ports));
    });
}
