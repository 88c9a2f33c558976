import {
  globalFailures,
  LEVEL_MEMORY_SECONDS,
  limitOf,
  lockSeconds,
  type AttemptLimits,
  DEFAULT_ATTEMPT_LIMITS,
} from '../../functions/core/attempt-policy.js';
import type { FactorValues } from '../../functions/core/member-factors.js';
import {
  ATTEMPT_SCOPES,
  type AttemptKeys,
  type AttemptLimiter,
  type AttemptReservation,
  type AttemptScope,
  type Clock,
  type CompanyMemberVerdict,
  type CompanyMemberVerifier,
  type FactorHasher,
  type FactorHashes,
  type FailureOutcome,
  type MemberRecord,
  type MemberRecordRepository,
  type ScopeCount,
} from '../../functions/core/ports/index.js';
import { attemptKey, globalShardKey } from '../../functions/adapters/dynamo/dynamo-attempt-limiter.js';

/** A clock tests move forward by hand. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(iso = '2026-11-22T09:00:00.000Z') {
    this.ms = Date.parse(iso);
  }
  now(): Date {
    return new Date(this.ms);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** Readable, deterministic "hashes" (the real HMAC is tested on its own). */
export const fakeHasher: FactorHasher = {
  async hashFactors(memberId: string, factors: FactorValues): Promise<FactorHashes> {
    const out: FactorHashes = {};
    for (const [factor, value] of Object.entries(factors) as Array<[keyof FactorHashes, string]>) {
      out[factor] = `h(${memberId}|${factor}|${value})`;
    }
    return out;
  },
};

/** Member records built with {@link fakeHasher} from plain (normalized) values. */
export class InMemoryMemberRecords implements MemberRecordRepository {
  readonly records = new Map<string, MemberRecord>();
  lookups = 0;

  static async of(members: Array<{ memberId: string; companyUserId?: string; factors: FactorValues }>) {
    const repo = new InMemoryMemberRecords();
    for (const m of members) {
      repo.records.set(m.memberId, {
        memberId: m.memberId,
        companyUserId: m.companyUserId ?? m.memberId,
        factorHashes: await fakeHasher.hashFactors(m.memberId, m.factors),
      });
    }
    return repo;
  }

  async findByMemberId(memberId: string): Promise<MemberRecord | undefined> {
    this.lookups++;
    return this.records.get(memberId);
  }
}

interface Counter {
  count: number;
  windowEnds: number;
  level: number;
  expiresAt: number;
}

/** The attempt policy of DynamoAttemptLimiter, in memory (same keys, same arithmetic). */
export class InMemoryAttemptLimiter implements AttemptLimiter {
  readonly counters = new Map<string, Counter>();
  constructor(
    readonly clock: Clock,
    readonly limits: AttemptLimits = { ...DEFAULT_ATTEMPT_LIMITS },
  ) {}

  private nowSec() {
    return Math.floor(this.clock.now().getTime() / 1000);
  }

  countOf(scope: AttemptScope, keys: AttemptKeys): number {
    return this.counters.get(attemptKey(scope, keys))?.count ?? 0;
  }

  /** Service-wide failures counted so far in the current windows, over every shard. */
  globalCount(): number {
    let sum = 0;
    for (let shard = 0; shard < this.limits.globalShards; shard++)
      sum += this.counters.get(globalShardKey(shard))?.count ?? 0;
    return sum;
  }

  private counter(pk: string, now: number): Counter {
    let c = this.counters.get(pk);
    if (!c || c.windowEnds <= now) {
      const windowEnds = now + this.limits.windowSeconds;
      c = { count: 0, windowEnds, level: c?.level ?? 0, expiresAt: windowEnds + LEVEL_MEMORY_SECONDS };
      this.counters.set(pk, c);
    }
    return c;
  }

  async reserve(keys: AttemptKeys): Promise<AttemptReservation> {
    const now = this.nowSec();
    const scopes = {} as Record<AttemptScope, ScopeCount>;
    for (const scope of ATTEMPT_SCOPES) {
      const c = this.counter(attemptKey(scope, keys), now);
      c.count++;
      scopes[scope] = { count: c.count, windowEnds: c.windowEnds, level: c.level };
    }
    const blocked = ATTEMPT_SCOPES.filter((s) => scopes[s].count > limitOf(this.limits, s));
    return {
      keys,
      scopes,
      allowed: blocked.length === 0,
      retryAfterSeconds: Math.max(0, ...blocked.map((s) => scopes[s].windowEnds - now)),
    };
  }

  async fail(r: AttemptReservation): Promise<FailureOutcome> {
    const now = this.nowSec();
    const shard = this.globalFailures++ % this.limits.globalShards;
    const g = this.counter(globalShardKey(shard), now);
    g.count++;
    const global = globalFailures(this.limits, g.count);
    const exhausted = ATTEMPT_SCOPES.filter((s) => r.scopes[s].count >= limitOf(this.limits, s));
    const lockedScopes = exhausted.filter((s) => r.scopes[s].count === limitOf(this.limits, s));
    if (exhausted.length === 0) return { lockedScopes, global };
    const ends = exhausted.map((s) => {
      const c = this.counters.get(attemptKey(s, r.keys))!;
      if (lockedScopes.includes(s) && c.windowEnds === r.scopes[s].windowEnds) {
        c.windowEnds = now + lockSeconds(this.limits, c.level);
        c.level++;
        c.expiresAt = c.windowEnds + LEVEL_MEMORY_SECONDS;
      }
      return c.windowEnds;
    });
    return { lockedScopes, global, retryAfterSeconds: Math.max(1, ...ends.map((e) => e - now)) };
  }

  private globalFailures = 0;

  async succeed(r: AttemptReservation): Promise<void> {
    this.counters.delete(attemptKey('member', r.keys));
    this.refund(r, 'line-user');
    this.refund(r, 'address');
  }

  async release(r: AttemptReservation): Promise<void> {
    for (const s of ATTEMPT_SCOPES) this.refund(r, s);
  }

  private refund(r: AttemptReservation, scope: AttemptScope) {
    const c = this.counters.get(attemptKey(scope, r.keys));
    if (c && c.windowEnds === r.scopes[scope].windowEnds && c.count > 0) c.count--;
  }
}

/** A company API that knows some members, or fails as told. */
export class FakeCompanyApi implements CompanyMemberVerifier {
  calls = 0;
  failWith: Error | undefined;
  constructor(
    private readonly members: Array<{ memberId: string; companyUserId: string; factors: FactorValues }>,
  ) {}

  async verifyMember(input: { memberId: string; factors: FactorValues }): Promise<CompanyMemberVerdict> {
    this.calls++;
    if (this.failWith) throw this.failWith;
    const m = this.members.find((x) => x.memberId === input.memberId);
    if (!m) return { verified: false };
    const ok = Object.entries(input.factors).every(
      ([k, v]) => (m.factors as Record<string, string>)[k] === v,
    );
    return ok ? { verified: true, companyUserId: m.companyUserId } : { verified: false };
  }
}

/** A timer that never waits but records the padding it was asked for. */
export function recordingTimer() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    // Resolves after the pending promise jobs (setImmediate), so a check racing a deadline
    // that has not really passed settles first, as it would in real time.
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          if (signal?.aborted) return;
          sleeps.push(ms);
          now += ms;
          resolve();
        }),
      ),
  };
}
