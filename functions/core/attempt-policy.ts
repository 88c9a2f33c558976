import type { AttemptScope } from './ports/index.js';

/**
 * The guessing-protection policy as data and pure functions, shared by the DynamoDB limiter and
 * the in-memory fake of the tests.
 *
 * Per scope (member, LINE user, client address): at most `limit` attempts per window of
 * `windowSeconds`, starting at the first attempt. The failure that uses up the last attempt
 * locks the scope for `windowSeconds × 2^level` (level = lockouts so far, remembered for
 * {@link LEVEL_MEMORY_SECONDS} after the last lock), capped at {@link MAX_LOCK_SECONDS}: 15 min,
 * 30 min, 1 h, 2 h … 24 h with the defaults. While locked, every attempt in the scope is refused
 * without being evaluated.
 *
 * Service-wide, failures are counted (over `globalShards` counters, so no single item takes
 * every write) against `global` per window: over it, failed answers are slowed down and an
 * alert is raised, but nobody is refused — a lock there would let about a hundred accounts lock
 * every member out.
 */
export interface AttemptLimits {
  perMember: number;
  perLineUser: number;
  perAddress: number;
  /** Failures per window service-wide above which failures are slowed down and alerted on. */
  global: number;
  /** Counters the service-wide failures are spread over (each is one DynamoDB item). */
  globalShards: number;
  windowSeconds: number;
}

export const DEFAULT_ATTEMPT_LIMITS: AttemptLimits = {
  perMember: 5,
  perLineUser: 10,
  perAddress: 20,
  global: 1000,
  globalShards: 10,
  windowSeconds: 15 * 60,
};

/**
 * Pattern 2: every answer but a link is sent this long after the request started
 * (`COMPANY_API_FAILURE_DEADLINE_MS`; trade-off in docs/member-data.md).
 */
export const DEFAULT_FAILURE_DEADLINE_MS = 2000;

/** Added to failed answers while service-wide failures are over `ATTEMPTS_GLOBAL` (`ATTEMPTS_GLOBAL_SLOWDOWN_MS`). */
export const DEFAULT_GLOBAL_SLOWDOWN_MS = 1000;

/** Longest lock of a member, LINE user or address. */
export const MAX_LOCK_SECONDS = 24 * 60 * 60;

/** How long a counter (and its lockout level) is kept after its window or lock ends. */
export const LEVEL_MEMORY_SECONDS = 24 * 60 * 60;

export function limitOf(limits: AttemptLimits, scope: AttemptScope): number {
  return scope === 'member'
    ? limits.perMember
    : scope === 'line-user'
      ? limits.perLineUser
      : limits.perAddress;
}

/** Length of the lock that starts when a scope at lockout `level` (0 = first) uses up its attempts. */
export function lockSeconds(limits: AttemptLimits, level: number): number {
  return Math.min(MAX_LOCK_SECONDS, limits.windowSeconds * 2 ** Math.min(level, 20));
}

/**
 * The service-wide failure estimate from one shard's count: failures are spread uniformly over
 * the shards, so the total is about the shard's count times the number of shards.
 */
export function globalFailures(
  limits: AttemptLimits,
  shardCount: number,
): { failures: number; overThreshold: boolean } {
  const failures = shardCount * limits.globalShards;
  return { failures, overThreshold: failures > limits.global };
}
