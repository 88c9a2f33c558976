import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { FeatureDisabledError } from '../../core/errors.js';
import { MAX_RAW_FACTOR_LENGTH } from '../../core/member-factors.js';
import type { AttemptObserver, CreateLinkResult } from '../../core/ports/index.js';
import type { MemberLinkInput } from '../../core/use-cases/guarded-member-link.js';
import { logger } from '../../observability/logger.js';
import { countMetric } from '../../observability/metrics.js';
import { httpEdge, jsonBody, validateBody } from './middlewares.js';
import { bearerRequired, bearerToken } from './bearer-token.js';
import { linkResponse } from './responses.js';
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
  if (event.globalThresholdExceeded) {
    // Service-wide failures are over ATTEMPTS_GLOBAL: failed answers are slowed down; alarm on this.
    logger.warn('member verification failures over the service-wide threshold', {
      globalFailures: event.globalFailures,
    });
    countMetric('GlobalAttemptThreshold');
  }
};

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
    .use(bearerRequired())
    .use(jsonBody())
    .use(validateBody(MemberLinkRequest))
    .handler(async (event) => {
      const body = event.body as unknown as MemberLinkRequest;
      const input = {
        lineToken: bearerToken(event),
        sourceIp: event.requestContext.http.sourceIp,
        memberId: body.memberId,
        factors: body.factors,
        consentVersion: body.consentVersion,
      };
      return linkResponse(await link(input, ports));
    });
}

/**
 * The chain of a member-data route whose pattern this deployment does not configure: every
 * request gets 501 `feature-disabled` naming the missing setting (not a 500 at cold start).
 */
export function featureDisabledHandler(feature: string, missing: string) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async () => {
      throw new FeatureDisabledError(feature, missing);
    });
}
