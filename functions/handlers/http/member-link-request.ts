import * as z from 'zod/mini';
import { MAX_RAW_FACTOR_LENGTH } from '../../core/member-factors.js';
import type { AttemptObserver } from '../../core/member-ports.js';
import { logger } from './logger.js';
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
