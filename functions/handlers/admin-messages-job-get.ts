import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { getMessageJob } from '../core/use-cases/message-jobs.js';
import { adminCaller, jobPageOf } from './http/admin.js';
import { httpEdge } from './http/middlewares.js';
import { json } from './http/responses.js';

/**
 * `GET /admin/messages/jobs/{jobId}[?cursor=…]` — the job's status (`running` | `done`), counts per
 * status, and a page of per-member results of finished batches (`nextCursor` for the next page).
 */
export function createAdminMessagesJobGetHandler(ports: Parameters<typeof getMessageJob>[1]) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async (event) => {
      adminCaller(event);
      const { jobId, from } = jobPageOf(event);
      return json(200, await getMessageJob({ jobId, fromBatch: from }, ports));
    });
}
