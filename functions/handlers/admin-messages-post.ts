import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { MULTICAST_LIMIT, parseSendRequest } from '../core/messages.js';
import { systemClock } from '../core/ports/index.js';
import { sendMessagesNow, startMessageJob } from '../core/use-cases/message-jobs.js';
import { adminCaller } from './http/admin.js';
import { httpEdge, jsonBody } from './http/middlewares.js';
import { json } from './http/responses.js';
import { auditLog, linkRepository, messageJobStore, messageQueue, multicastSender } from './wiring.js';

/** 100,000 company user IDs of up to ~40 characters, plus messages; under Lambda's 6 MB. */
const MAX_BYTES = 5 * 1024 * 1024;

const nowPorts = {
  links: linkRepository(),
  sender: multicastSender(),
  audit: auditLog(),
  clock: systemClock,
  newRetryKey: randomUUID,
};
const jobPorts = {
  jobs: messageJobStore(),
  queue: messageQueue(),
  audit: auditLog(),
  clock: systemClock,
  newJobId: randomUUID,
};

/**
 * `POST /admin/messages` `{"to": [companyUserId…], "messages": [LINE message objects]}` —
 * up to 500 recipients: sent now, 200 with counts and a result per member (`sent`, `not-linked`,
 * `not-friend`, `failed`); more: 202 with a job whose progress and report are at
 * `GET /admin/messages/jobs/{jobId}`. Bad input → 400, nothing sent. IAM-authorized.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(httpEdge())
  .use(jsonBody({ maxBytes: MAX_BYTES }))
  .handler(async (event) => {
    const caller = adminCaller(event);
    const request = parseSendRequest(event.body);
    if (new Set(request.to).size <= MULTICAST_LIMIT) {
      return json(200, await sendMessagesNow(request, caller, nowPorts));
    }
    const job = await startMessageJob(request, caller, jobPorts);
    return json(202, job, { Location: `/admin/messages/jobs/${job.jobId}` });
  });
