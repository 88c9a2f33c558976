import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { MAX_RAW_FACTOR_LENGTH } from '../../core/member-factors.js';
import type { AttemptObserver } from '../../core/member-ports.js';
import { systemClock, type CreateLinkResult } from '../../core/ports.js';
import type { GuardedMemberLinkPorts, MemberLinkInput } from '../../core/use-cases/guarded-member-link.js';
import { attemptLimiter, auditLog, linePlatform, linkRepository, memberFactors } from '../wiring.js';
import { logger } from './logger.js';
import { httpEdge, jsonBody, validateBody } from './middlewares.js';
import { bearerToken, linkResponse } from './responses.js';
import { consentVersionSchema } from './schemas.js';

/**
 * Body of `POST /links/by-record` and `POST /links/by-api`: the member number and the factors
 * as the user typed them (normalized by the use case). Unknown top-level fields are dropped.
 */
export const MemberLinkRequest = z.object({
  memberId: z.string().check(z.minLength(1), z.maxLength(256)),
  factors: z.record(z.string().check(z.maxLength(32)), z.string().check(z.maxLength(MAX_RAW_FACTOR_LENGTH))),
  consentVersion: consentVersionSchema,
});
export type MemberLinkRequest = z.infer<typeof MemberLinkRequest>;

/**
 * Logs every verification attempt: outcome, method, LINE user, member number and counters —
 * never a factor value (the event type has no field for one).
 */
export const logAttempt: AttemptObserver = (event) => {
  logger.info('member verification attempt', { ...event });
};

/** The ports both member-data routes share, from the module-scope adapters. */
export function guardedMemberLinkPorts(): GuardedMemberLinkPorts {
  return {
    line: linePlatform(),
    links: linkRepository(),
    audit: auditLog(),
    clock: systemClock,
    attempts: attemptLimiter(),
    requiredFactors: memberFactors(),
    observe: logAttempt,
  };
}

/**
 * The middy chain of both member-data routes: size and media type → JSON → body shape → the
 * pattern's use case (records or company API) → 201 new link / 200 same pair again.
 */
export function memberLinkHandler<P>(
  link: (input: MemberLinkInput, ports: P) => Promise<CreateLinkResult>,
  ports: P,
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .use(jsonBody())
    .use(validateBody(MemberLinkRequest))
    .handler(async (event) => {
      const body = event.body as unknown as MemberLinkRequest;
      const input = {
        lineToken: bearerToken(event),
        memberId: body.memberId,
        factors: body.factors,
        consentVersion: body.consentVersion,
      };
      return linkResponse(await link(input, ports));
    });
}
