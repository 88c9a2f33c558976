import { DEFAULT_FAILURE_DEADLINE_MS, DEFAULT_GLOBAL_SLOWDOWN_MS } from '../attempt-policy.js';
import {
  InvalidRequestError,
  TooManyAttemptsError,
  UpstreamError,
  VerificationFailedError,
} from '../errors.js';
import { normalizeMemberInput, type FactorValues, type MemberFactor } from '../member-factors.js';
import type {
  AttemptEvent,
  AttemptLimiter,
  AttemptObserver,
  AttemptReservation,
  CreateLinkResult,
  LineIdentityVerifier,
} from '../ports/index.js';
import { linkAccounts, type LinkAccountsPorts } from './link-accounts.js';

/** Pattern 3: failures and refusals are answered no sooner than this after the attempt is counted. */
export const DEFAULT_MIN_FAILURE_MS = 300;

/** Ports shared by the two member-data patterns. */
export interface GuardedMemberLinkPorts extends LinkAccountsPorts {
  line: LineIdentityVerifier;
  attempts: AttemptLimiter;
  /** Which factors this deployment requires (`MEMBER_FACTORS`). */
  requiredFactors: readonly MemberFactor[];
  /** Gets every attempt's outcome (the handler logs it); never sees a factor value. */
  observe?: AttemptObserver;
  /** Pattern 3: floor of the failure response time in ms (default {@link DEFAULT_MIN_FAILURE_MS}; tests lower it). */
  minFailureMs?: number;
  /**
   * Pattern 2: the fixed time after the request's start at which every failure, refusal or
   * upstream error is answered (default {@link DEFAULT_FAILURE_DEADLINE_MS}). A company API that
   * has not answered by then counts as unavailable.
   */
  failureDeadlineMs?: number;
  /** Extra delay of failed answers while service-wide failures are over the threshold (default {@link DEFAULT_GLOBAL_SLOWDOWN_MS}). */
  globalSlowdownMs?: number;
  /** Monotonic milliseconds and a delay (abandoned when `signal` aborts); default `performance.now()` and `setTimeout`. */
  timer?: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> };
}

/** What the user sent: a member number and factors, raw. */
export interface MemberLinkInput {
  lineToken: string;
  /** The client address (API Gateway's `requestContext.http.sourceIp`): attempts are counted per address too. */
  sourceIp: string;
  memberId: string;
  factors: Readonly<Record<string, string>>;
  consentVersion?: string;
}

/**
 * Checks the normalized member data: the company user ID when it verifies, `undefined` when it
 * does not (unknown member, wrong factor, missing factor: all the same). Pattern 2's check is
 * told how long it is waited for (`within`: ms left before the deadline, and the signal aborted
 * at the deadline), so its calls fit and none is sent after the answer.
 */
export type MemberCheck = (member: {
  memberId: string;
  factors: FactorValues;
  within?: { ms: number; signal: AbortSignal };
}) => Promise<string | undefined>;

const defaultTimer = {
  now: () => performance.now(),
  sleep: (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      const timeout = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => clearTimeout(timeout), { once: true });
    }),
};

/**
 * The guessing-protected path both member-data patterns share, ending in {@link linkAccounts}:
 *
 * 1. the LINE token is verified (401 before anything is counted: there is no one to count against);
 * 2. memberId and factors are normalized (400 for a malformed value: it says nothing about any member);
 * 3. the attempt is counted per member, per LINE user and per client address *before* it is
 *    evaluated; when a scope is locked → 429 `too-many-attempts`, whatever the member or the factors;
 * 4. `check` runs; no match → 422 `verification-failed` (or 429 when this failure used up a
 *    scope's last attempt); a failure to evaluate (company API or storage down) gives the attempt
 *    back and propagates (503/502/500);
 * 5. a match resets the member's counter and links (method `record` or `api`).
 *
 * Unknown member and wrong factor take the same code path with the same storage round trips,
 * and no answer's timing tells them apart: pattern 3 pads every failure to a minimum duration
 * (its check costs the same for both); pattern 2 answers every failure, refusal and upstream
 * error at one fixed deadline from the request's start, so neither the company API's latency
 * for a member nor a slow or failing API shows through (CWE-208). Service-wide failures over
 * `ATTEMPTS_GLOBAL` slow every failed answer down alike and are reported to `observe`; they
 * never refuse anyone. A lockout is also recorded in the audit trail.
 */
export async function guardedMemberLink(
  input: MemberLinkInput,
  method: 'record' | 'api',
  check: MemberCheck,
  ports: GuardedMemberLinkPorts,
): Promise<CreateLinkResult> {
  const timer = ports.timer ?? defaultTimer;
  const requestStarted = timer.now();
  const line = await ports.line.verifyBearer(input.lineToken);
  const normalized = normalizeMemberInput(input, ports.requiredFactors);
  if (!normalized.ok) {
    throw new InvalidRequestError(
      'The member number or a factor is not in a valid format.',
      normalized.problems,
    );
  }
  const { memberId, factors } = normalized;
  const started = timer.now();
  const deadline =
    method === 'api' ? requestStarted + (ports.failureDeadlineMs ?? DEFAULT_FAILURE_DEADLINE_MS) : undefined;
  const answerAt = async <E extends Error>(error: E, slowdownMs = 0): Promise<never> => {
    const target = deadline ?? started + (ports.minFailureMs ?? DEFAULT_MIN_FAILURE_MS);
    const wait = target + slowdownMs - timer.now();
    if (wait > 0) await timer.sleep(wait);
    throw error;
  };
  const base = { method, lineUserId: line.userId, memberId } as const;
  const observe = (
    event: Omit<AttemptEvent, 'method' | 'lineUserId' | 'memberId'>,
    reservation?: AttemptReservation,
  ) => ports.observe?.({ ...base, ...event, ...(reservation ? { counts: counts(reservation) } : {}) });

  const reservation = await ports.attempts.reserve({
    memberId,
    lineUserId: line.userId,
    sourceIp: input.sourceIp,
  });
  if (!reservation.allowed) {
    observe({ outcome: 'refused', retryAfterSeconds: reservation.retryAfterSeconds }, reservation);
    return answerAt(new TooManyAttemptsError(reservation.retryAfterSeconds));
  }

  let companyUserId: string | undefined;
  const giveUp = new AbortController();
  try {
    const within = deadline === undefined ? undefined : { ms: deadline - timer.now(), signal: giveUp.signal };
    const checking = check({ memberId, factors, ...(within ? { within } : {}) });
    companyUserId =
      deadline === undefined ? await checking : await beforeDeadline(checking, deadline, timer, giveUp);
  } catch (error) {
    // Not evaluated (company API down, storage failure): the user must not lose an attempt.
    await ports.attempts.release(reservation).catch(() => undefined);
    observe({ outcome: 'unavailable' }, reservation);
    if (deadline !== undefined) return answerAt(error as Error);
    throw error;
  }

  if (companyUserId === undefined) {
    const outcome = await ports.attempts.fail(reservation);
    const global = {
      globalFailures: outcome.global.failures,
      ...(outcome.global.overThreshold ? { globalThresholdExceeded: true } : {}),
    };
    if (outcome.lockedScopes.length > 0) {
      observe(
        {
          outcome: 'locked',
          lockedScopes: outcome.lockedScopes,
          retryAfterSeconds: outcome.retryAfterSeconds,
          ...global,
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
      observe({ outcome: 'failed', ...global }, reservation);
    }
    return answerAt(
      outcome.retryAfterSeconds === undefined
        ? new VerificationFailedError()
        : new TooManyAttemptsError(outcome.retryAfterSeconds),
      outcome.global.overThreshold ? (ports.globalSlowdownMs ?? DEFAULT_GLOBAL_SLOWDOWN_MS) : 0,
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

/**
 * The check's result if it settles before `deadline` (a `timer.now()` value), else a
 * `company-api-unavailable` error at the deadline, when `giveUp` is aborted so that the check
 * stops where it is (an in-flight call is abandoned, no retry is sent after the answer).
 */
async function beforeDeadline<T>(
  checking: Promise<T>,
  deadline: number,
  timer: NonNullable<GuardedMemberLinkPorts['timer']>,
  giveUp: AbortController,
): Promise<T> {
  const settled = new AbortController();
  checking.catch(() => undefined); // settled after the deadline: nobody waits for it any more
  try {
    return await Promise.race([
      checking,
      timer.sleep(Math.max(0, deadline - timer.now()), settled.signal).then(() => {
        giveUp.abort();
        throw new UpstreamError('company-api', 'unavailable');
      }),
    ]);
  } finally {
    settled.abort();
  }
}

function counts(reservation: AttemptReservation): AttemptEvent['counts'] {
  return {
    member: reservation.scopes.member.count,
    'line-user': reservation.scopes['line-user'].count,
    address: reservation.scopes.address.count,
  };
}
