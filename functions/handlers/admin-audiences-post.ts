import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { parseAudienceRequest } from '../core/audiences.js';
import { startAudienceJob, type StartAudienceJobPorts } from '../core/use-cases/audience-jobs.js';
import { adminCaller } from './http/admin.js';
import { digestBody, idempotencyOf } from './http/idempotency-key.js';
import { httpEdge, jsonBody } from './http/middlewares.js';
import { json } from './http/responses.js';

/** 100,000 member IDs of up to ~40 characters; under Lambda's 6 MB. */
const MAX_BYTES = 5 * 1024 * 1024;

/**
 * `POST /admin/audiences` `{"description", "memberIds": […]}` creates a LINE audience from the
 * linked members, `{"audienceGroupId", "memberIds": […]}` adds them to one: 202 with the job,
 * whose progress and not-linked members are at `GET /admin/audiences/jobs/{jobId}` (`Location`).
 * Bad input → 400, nothing stored or uploaded. IAM-authorized; audited with the caller.
 *
 * An `Idempotency-Key` header makes a retry safe, as for `POST /admin/messages`: the same key
 * and body give the same job again, for 24 hours (docs/admin-api.md).
 */
export function createAdminAudiencesPostHandler(ports: StartAudienceJobPorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .use(digestBody as MiddlewareObj)
    .use(jsonBody({ maxBytes: MAX_BYTES }))
    .handler(async (event) => {
      const caller = adminCaller(event);
      const request = parseAudienceRequest(event.body);
      const idempotency = idempotencyOf(event, 'POST /admin/audiences', caller);
      const job = await startAudienceJob(request, caller, ports, idempotency);
      return json(202, job, { Location: `/admin/audiences/jobs/${job.jobId}` });
    });
}
