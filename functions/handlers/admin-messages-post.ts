import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { parseSendRequest } from '../core/member-messages.js';
import { sendMessages, type SendMessagesPorts } from '../core/use-cases/message-jobs.js';
import { adminCaller } from './http/admin.js';
import { digestBody, idempotencyOf } from './http/idempotency-key.js';
import { httpEdge, jsonBody } from './http/middlewares.js';
import { json } from './http/responses.js';

/** 100,000 company user IDs of up to ~40 characters, plus messages; under Lambda's 6 MB. */
const MAX_BYTES = 5 * 1024 * 1024;

/**
 * `POST /admin/messages` `{"to": [companyUserId…], "messages": [LINE message objects]}` —
 * up to 500 recipients: sent now, 200 with counts and a result per member (`sent`, `not-linked`,
 * `not-friend`, `failed`); more: 202 with a job whose progress and report are at
 * `GET /admin/messages/jobs/{jobId}`. Bad input → 400, nothing sent. IAM-authorized.
 *
 * An `Idempotency-Key` header makes a retry safe: the same key and body give the first answer
 * again without sending again, for 24 hours (docs/admin-api.md).
 */
export function createAdminMessagesPostHandler(ports: SendMessagesPorts) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .use(digestBody as MiddlewareObj)
    .use(jsonBody({ maxBytes: MAX_BYTES }))
    .handler(async (event) => {
      const caller = adminCaller(event);
      const request = parseSendRequest(event.body);
      const idempotency = idempotencyOf(event, 'POST /admin/messages', caller);
      const answer = await sendMessages(request, caller, ports, idempotency);
      if (answer.kind === 'sent') return json(200, { counts: answer.counts, results: answer.results });
      return json(202, answer.job, { Location: `/admin/messages/jobs/${answer.job.jobId}` });
    });
}
