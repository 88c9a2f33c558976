import { IdempotencyKeyInProgressError, IdempotencyKeyReusedError } from '../errors.js';
import type { Clock, IdempotencyClaim, IdempotencyClaimRef, IdempotencyStore } from '../ports/index.js';
import type { AdminCaller } from './admin-links.js';

/** How long a caller's `Idempotency-Key` is remembered with its request and answer. */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 3600;

/**
 * How long one attempt holds a key before another attempt with the same request may take it
 * over and resume the work: well beyond the function's timeout (15 s) and API Gateway's (30 s),
 * so a live attempt is never taken over, yet short enough that one that died (a crash, a
 * timeout) blocks its key for a minute at most.
 */
export const IDEMPOTENCY_LEASE_SECONDS = 60;

/**
 * `Retry-After` of a request whose key is in progress: a send done at once takes a second or
 * two, so the client asks again soon rather than at the end of the lease.
 */
const IN_PROGRESS_RETRY_AFTER_SECONDS = 2;

/** Ports of {@link claimIdempotencyKey}. */
export interface IdempotencyClaimPorts {
  idempotency: IdempotencyStore;
  clock: Clock;
  /** A fresh random ID: the claim's owner token and operation ID. */
  newId: () => string;
}

/**
 * Claims an admin caller's `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) for a
 * request with this fingerprint, before any work: the admin routes that start work share it.
 * The same key with another request is refused (`idempotency-key-reused`); while the first
 * request with it still runs, `idempotency-key-in-progress`. What is left is the key's stored
 * answer (`completed`) or this attempt's hold on it (`claimed`, with the operation ID the work
 * must carry on).
 */
export async function claimIdempotencyKey(
  caller: AdminCaller,
  idempotency: { key: string; fingerprint: string },
  ports: IdempotencyClaimPorts,
): Promise<{
  ref: IdempotencyClaimRef;
  claim: Extract<IdempotencyClaim, { outcome: 'claimed' | 'completed' }>;
}> {
  const ref: IdempotencyClaimRef = { scope: caller.arn, key: idempotency.key, owner: ports.newId() };
  const now = ports.clock.now();
  const claim = await ports.idempotency.claim({
    ...ref,
    fingerprint: idempotency.fingerprint,
    operationId: ports.newId(),
    now,
    leaseUntil: new Date(now.getTime() + IDEMPOTENCY_LEASE_SECONDS * 1000),
    expiresAt: new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_SECONDS * 1000),
  });
  switch (claim.outcome) {
    case 'mismatch':
      throw new IdempotencyKeyReusedError();
    case 'in-progress':
      throw new IdempotencyKeyInProgressError(
        Math.min(IN_PROGRESS_RETRY_AFTER_SECONDS, (claim.leaseUntil.getTime() - now.getTime()) / 1000),
      );
    default:
      return { ref, claim };
  }
}
