import type { AttemptScope } from './member-ports.js';

/**
 * The guessing-protection policy as data and pure functions, shared by the DynamoDB limiter and
 * the in-memory fake of the tests.
 *
 * Per scope: at most `limit` attempts per window of `windowSeconds`, starting at the first
 * attempt. The failure that uses up the last attempt locks the scope for `windowSeconds ×
 * 2^level` (level = lockouts so far, remembered for {@link LEVEL_MEMORY_SECONDS} after the last
 * lock), capped at {@link MAX_LOCK_SECONDS}: 15 min, 30 min, 1 h, 2 h … 24 h with the defaults.
 * While locked, every attempt in the scope is refused without being evaluated. The global scope
 * is a plain rate limit (it would otherwise lock everybody out for ever longer).
 */
export interface AttemptLimits {
  perMember: number;
  perLineUser: number;
  global: number;
  windowSeconds: number;
}

export const DEFAULT_ATTEMPT_LIMITS: AttemptLimits = {
  perMember: 5,
  perLineUser: 10,
  global: 1000,
  windowSeconds: 15 * 60,
};

/** Longest lock of a member or LINE user. */
export const MAX_LOCK_SECONDS = 24 * 60 * 60;

/** How long a counter (and its lockout level) is kept after its window or lock ends. */
export const LEVEL_MEMORY_SECONDS = 24 * 60 * 60;

export function limitOf(limits: AttemptLimits, scope: AttemptScope): number {
  return scope === 'member' ? limits.perMember : scope === 'line-user' ? limits.perLineUser : limits.global;
}

/** Whether a scope's lock grows with each lockout. */
export function escalates(scope: AttemptScope): boolean {
  return scope !== 'global';
}

/** Length of the lock that starts when a scope at lockout `level` (0 = first) uses up its attempts. */
export function lockSeconds(limits: AttemptLimits, scope: AttemptScope, level: number): number {
  if (!escalates(scope)) return limits.windowSeconds;
  return Math.min(MAX_LOCK_SECONDS, limits.windowSeconds * 2 ** Math.min(level, 20));
}
