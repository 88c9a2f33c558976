import { InvalidRequestError, TooManyAttemptsError, VerificationFailedError } from '../errors.js';
import { normalizeMemberInput, type FactorValues, type MemberFactor } from '../member-factors.js';
import type { AttemptEvent, AttemptLimiter, AttemptObserver, AttemptReservation } from '../member-ports.js';
import type { CreateLinkResult, LineIdentityVerifier } from '../ports.js';
import { linkAccounts, type LinkAccountsPorts } from './link-accounts.js';

/** Failures and refusals are answered no sooner than this after the attempt is counted. */
export const DEFAULT_MIN_FAILURE_MS = 300;

/** Ports shared by the two member-data patterns. */
export interface GuardedMemberLinkPorts extends LinkAccountsPorts {
  line: LineIdentityVerifier;
  attempts: AttemptLimiter;
  /** Which factors this deployment requires (`MEMBER_FACTORS`). */
  requiredFactors: readonly MemberFactor[];
  /** Gets every attempt's outcome (the handler logs it); never sees a factor value. */
  observe?: AttemptObserver;
  /** Floor of the failure response time in ms (default {@link DEFAULT_MIN_FAILURE_MS}; tests lower it). */
  minFailureMs?: number;
  /** Monotonic milliseconds and a delay; default `performance.now()` and `setTimeout`. */
  timer?: { now(): number; sleep(ms: number): Promise<void> };
}

/** What the user sent: a member number and factors, raw. */
export interface MemberLinkInput {
  lineToken: string;
  memberId: string;
  factors: Readonly<Record<string, string>>;
  consentVersion?: string;
}

/**
 * Checks the normalized member data: the company user ID when it verifies, `undefined` when it
 * does not (unknown member, wrong factor, missing factor: all the same).
 */
export type MemberCheck = (member: {
  memberId: string;
  factors: FactorValues;
}) => Promise<string | undefined>;

const defaultTimer = {
  now: () => performance.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/**
 * The guessing-protected path both member-data patterns share, ending in {@link linkAccounts}:
 *
 * 1. the LINE token is verified (401 before anything is counted: there is no one to count against);
 * 2. memberId and factors are normalized (400 for a malformed value: it says nothing about any member);
 * 3. the attempt is counted per member, per LINE user and globally *before* it is evaluated;
 *    when a scope is locked → 429 `too-many-attempts`, whatever the member or the factors;
 * 4. `check` runs; no match → 422 `verification-failed` (or 429 when this failure used up a
 *    scope's last attempt); a failure to evaluate (company API or storage down) gives the attempt
 *    back and propagates (503/502/500);
 * 5. a match resets the member's counter and links (method `record` or `api`).
 *
 * Unknown member and wrong factor take the same code path with the same storage round trips,
 * and every failure is padded to a minimum duration, so neither the answer nor its timing
 * tells them apart. A lockout is also recorded in the audit trail.
 */
export async function guardedMemberLink(
  input: MemberLinkInput,
  method: 'record' | 'api',
  check: MemberCheck,
  ports: GuardedMemberLinkPorts,
): Promise<CreateLinkResult> {
  const line = await ports.line.verifyBearer(input.lineToken);
  const normalized = normalizeMemberInput(input, ports.requiredFactors);
  if (!normalized.ok) {
    throw new InvalidRequestError(
      'The member number or a factor is not in a valid format.',
      normalized.problems,
    );
  }
  const { memberId, factors } = normalized;
  const timer = ports.timer ?? defaultTimer;
  const started = timer.now();
  const padded = async <E extends Error>(error: E): Promise<never> => {
    const wait = (ports.minFailureMs ?? DEFAULT_MIN_FAILURE_MS) - (timer.now() - started);
    if (wait > 0) await timer.sleep(wait);
    throw error;
  };
  const base = { method, lineUserId: line.userId, memberId } as const;
  const observe = (
    event: Omit<AttemptEvent, 'method' | 'lineUserId' | 'memberId'>,
    reservation?: AttemptReservation,
  ) => ports.observe?.({ ...base, ...event, ...(reservation ? { counts: counts(reservation) } : {}) });

  const reservation = await ports.attempts.reserve({ memberId, lineUserId: line.userId });
  if (!reservation.allowed) {
    observe({ outcome: 'refused', retryAfterSeconds: reservation.retryAfterSeconds }, reservation);
    return padded(new TooManyAttemptsError(reservation.retryAfterSeconds));
  }

  let companyUserId: string | undefined;
  try {
    companyUserId = await check({ memberId, factors });
  } catch (error) {
    // Not evaluated (company API down, storage failure): the user must not lose an attempt.
    await ports.attempts.release(reservation).catch(() => undefined);
    observe({ outcome: 'unavailable' }, reservation);
    throw error;
  }

  if (companyUserId === undefined) {
    const outcome = await ports.attempts.fail(reservation);
    if (outcome.lockedScopes.length > 0) {
      observe(
        {
          outcome: 'locked',
          lockedScopes: outcome.lockedScopes,
          retryAfterSeconds: outcome.retryAfterSeconds,
        },
        reservation,
      );
      await ports.audit
        .record({
          type: 'lockout',
          at: ports.clock.now().toISOString(),
          lineUserId: line.userId,
          companyUserId: memberId,
          method,
          channelId: line.channelId,
          code: 'too-many-attempts',
          ...(input.consentVersion === undefined ? {} : { consentVersion: input.consentVersion }),
        })
        .catch(() => undefined); // the lock itself is in place; a lost audit record must not unlock
    } else {
      observe({ outcome: 'failed' }, reservation);
    }
    return padded(
      outcome.retryAfterSeconds === undefined
        ? new VerificationFailedError()
        : new TooManyAttemptsError(outcome.retryAfterSeconds),
    );
  }

  await ports.attempts.succeed(reservation);
  observe({ outcome: 'verified' }, reservation);
  return linkAccounts(
    {
      lineUserId: line.userId,
      companyUserId,
      method,
      channelId: line.channelId,
      consentVersion: input.consentVersion,
    },
    ports,
  );
}

function counts(reservation: AttemptReservation): AttemptEvent['counts'] {
  return {
    member: reservation.scopes.member.count,
    'line-user': reservation.scopes['line-user'].count,
    global: reservation.scopes.global.count,
  };
}
