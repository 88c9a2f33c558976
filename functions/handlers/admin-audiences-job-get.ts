import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { InvalidRequestError } from '../core/errors.js';
import { getAudienceJob } from '../core/use-cases/audience-jobs.js';
import { adminCaller, pathParameter } from './http/admin.js';
import { httpEdge } from './http/middlewares.js';
import { json } from './http/responses.js';

const jobIdSchema = z.string().check(z.regex(/^[0-9a-f-]{36}$/, 'Not a job ID.'));

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
      const jobId = pathParameter(event, 'jobId', jobIdSchema);
      const cursor = event.queryStringParameters?.cursor;
      if (cursor !== undefined && !/^\d{1,6}$/.test(cursor))
        throw new InvalidRequestError('The cursor is not valid.', [
          { path: 'cursor', message: 'Use the nextCursor of a previous page, unchanged.' },
        ]);
      return json(
        200,
        await getAudienceJob({ jobId, fromPart: cursor === undefined ? 0 : Number(cursor) }, ports),
      );
    });
}
