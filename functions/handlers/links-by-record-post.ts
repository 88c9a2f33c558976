import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { systemClock } from '../core/ports.js';
import { linkByMemberRecord, type LinkByMemberRecordPorts } from '../core/use-cases/link-by-member-record.js';
import { logAttempt, MemberLinkRequest } from './http/member-link-request.js';
import { httpEdge, jsonBody, validateBody } from './http/middlewares.js';
import { bearerToken, linkResponse } from './http/responses.js';
import {
  attemptLimiter,
  auditLog,
  factorHasher,
  linePlatform,
  linkRepository,
  memberFactors,
  memberRepository,
} from './wiring.js';

const ports: LinkByMemberRecordPorts = {
  line: linePlatform(),
  links: linkRepository(),
  audit: auditLog(),
  clock: systemClock,
  attempts: attemptLimiter(),
  requiredFactors: memberFactors(),
  members: memberRepository(),
  hasher: factorHasher(),
  observe: logAttempt,
};

/**
 * `POST /links/by-record` — pattern 3: member number and factors checked against the imported
 * records (keyed hashes). 201 new link, 200 same pair again, 409 conflict, 422
 * `verification-failed` (unknown member and wrong factor alike), 429 `too-many-attempts` with
 * `Retry-After` while the member, the LINE user or the service is locked.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(httpEdge())
  .use(jsonBody())
  .use(validateBody(MemberLinkRequest))
  .handler(async (event) => {
    const body = event.body as unknown as MemberLinkRequest;
    const result = await linkByMemberRecord(
      {
        lineToken: bearerToken(event),
        memberId: body.memberId,
        factors: body.factors,
        consentVersion: body.consentVersion,
      },
      ports,
    );
    return linkResponse(result);
  });
