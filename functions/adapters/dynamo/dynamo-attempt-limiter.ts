import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  globalFailures,
  LEVEL_MEMORY_SECONDS,
  limitOf,
  lockSeconds,
  type AttemptLimits,
} from '../../core/attempt-policy.js';
import {
  ATTEMPT_SCOPES,
  type AttemptKeys,
  type AttemptLimiter,
  type AttemptReservation,
  type AttemptScope,
  type AttemptUnlocker,
  type Clock,
  type FailureOutcome,
  type ScopeCount,
  systemClock,
} from '../../core/ports/index.js';

/** Partition key of a scope's counter in the attempts table. */
export function attemptKey(scope: AttemptScope, keys: AttemptKeys): string {
  if (scope === 'member') return counterKey.member(keys.memberId);
  if (scope === 'line-user') return counterKey.lineUser(keys.lineUserId);
  return counterKey.address(keys.sourceIp);
}

/** Partition keys of the counters of one scope's subject (the admin unlock and erasure need one). */
export const counterKey = {
  member: (memberId: string) => `MEMBER#${memberId}`,
  lineUser: (lineUserId: string) => `LINE#${lineUserId}`,
  address: (sourceIp: string) => `ADDR#${sourceIp}`,
};

/** Partition key of one shard of the service-wide failure counter (`0 ≤ shard < globalShards`). */
export function globalShardKey(shard: number): string {
  return `GLOBAL#${shard}`;
}

/** Attribute names (`count` and `level` are DynamoDB reserved words). */
const NAMES = { '#c': 'count', '#e': 'windowEnds', '#l': 'level', '#x': 'expiresAt' };

/**
 * The attempt counters in DynamoDB, one item per scope (`MEMBER#<memberId>`, `LINE#<lineUserId>`,
 * `ADDR#<sourceIp>`) and `globalShards` items for the service-wide failures (`GLOBAL#0` …), each
 * with `count`, `windowEnds`, `level` and the TTL `expiresAt`:
 *
 * - {@link reserve} counts an attempt with one atomic `UpdateItem ADD` per scope (the three in
 *   parallel) and reads the new count back (`ReturnValues: ALL_NEW`), so 50 parallel attempts
 *   get the numbers 1…50 exactly; a window that has ended is restarted by a second, conditional
 *   update (TTL deletion lags, so expiry is checked by condition, never trusted to TTL);
 * - {@link fail} locks a scope when the failure used its last attempt: the window is extended
 *   to the lock's end and the level raised, conditionally on the window being the one counted in;
 *   and counts the failure on one service-wide shard picked at random (one write per failure,
 *   none per success: no single item takes every attempt's writes);
 * - {@link succeed} deletes the member's counter and gives the other scopes their attempt back;
 *   {@link release} gives every scope its attempt back.
 *
 * The number of round trips depends only on the counters, never on whether the member exists.
 */
export class DynamoAttemptLimiter implements AttemptLimiter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly limits: AttemptLimits,
    private readonly clock: Clock = systemClock,
    /** Picks the global shard (uniform in [0, 1)); tests pass their own. */
    private readonly random: () => number = Math.random,
  ) {}

  async reserve(keys: AttemptKeys): Promise<AttemptReservation> {
    const now = this.nowSeconds();
    const counted = await Promise.all(
      ATTEMPT_SCOPES.map((scope) => this.count(attemptKey(scope, keys), now)),
    );
    const scopes = Object.fromEntries(ATTEMPT_SCOPES.map((scope, i) => [scope, counted[i]!])) as Record<
      AttemptScope,
      ScopeCount
    >;
    const blocked = ATTEMPT_SCOPES.filter((scope) => scopes[scope].count > limitOf(this.limits, scope));
    return {
      keys,
      scopes,
      allowed: blocked.length === 0,
      retryAfterSeconds: Math.max(0, ...blocked.map((scope) => scopes[scope].windowEnds - now)),
    };
  }

  async fail(reservation: AttemptReservation): Promise<FailureOutcome> {
    const now = this.nowSeconds();
    const exhausted = ATTEMPT_SCOPES.filter(
      (scope) => reservation.scopes[scope].count >= limitOf(this.limits, scope),
    );
    const lockedScopes = exhausted.filter(
      (scope) => reservation.scopes[scope].count === limitOf(this.limits, scope),
    );
    const shard = Math.min(
      this.limits.globalShards - 1,
      Math.floor(this.random() * this.limits.globalShards),
    );
    const [global, ends] = await Promise.all([
      this.count(globalShardKey(shard), now),
      Promise.all(
        exhausted.map(async (scope) => {
          const counted = reservation.scopes[scope];
          if (!lockedScopes.includes(scope)) return counted.windowEnds;
          const lockEnds = now + lockSeconds(this.limits, counted.level);
          try {
            await this.client.send(
              new UpdateCommand({
                TableName: this.tableName,
                Key: { pk: attemptKey(scope, reservation.keys) },
                UpdateExpression: 'SET #e = :lockEnds, #x = :expires ADD #l :one',
                ConditionExpression: '#e = :counted',
                ExpressionAttributeNames: { '#e': NAMES['#e'], '#l': NAMES['#l'], '#x': NAMES['#x'] },
                ExpressionAttributeValues: {
                  ':lockEnds': lockEnds,
                  ':expires': lockEnds + LEVEL_MEMORY_SECONDS,
                  ':one': 1,
                  ':counted': counted.windowEnds,
                },
              }),
            );
          } catch (error) {
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
            return counted.windowEnds; // the window moved on meanwhile; nothing to lock
          }
          return lockEnds;
        }),
      ),
    ]);
    const outcome = { lockedScopes, global: globalFailures(this.limits, global.count) };
    if (exhausted.length === 0) return outcome;
    return { ...outcome, retryAfterSeconds: Math.max(1, ...ends.map((end) => end - now)) };
  }

  async succeed(reservation: AttemptReservation): Promise<void> {
    await Promise.all([
      this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: attemptKey('member', reservation.keys) } }),
      ),
      this.refund(reservation, 'line-user'),
      this.refund(reservation, 'address'),
    ]);
  }

  async release(reservation: AttemptReservation): Promise<void> {
    await Promise.all(ATTEMPT_SCOPES.map((scope) => this.refund(reservation, scope)));
  }

  /** Counts one attempt in the scope's current window, starting a new window when it has ended. */
  private async count(pk: string, now: number): Promise<ScopeCount> {
    const windowEnds = now + this.limits.windowSeconds;
    const values = {
      ':one': 1,
      ':now': now,
      ':ends': windowEnds,
      ':expires': windowEnds + LEVEL_MEMORY_SECONDS,
    };
    for (let round = 0; round < 5; round++) {
      const counted =
        (await this.updateCounter(
          pk,
          'ADD #c :one SET #e = if_not_exists(#e, :ends), #x = if_not_exists(#x, :expires)',
          'attribute_not_exists(#e) OR #e > :now',
          values,
        )) ??
        // The window has ended: start a new one, keeping the lockout level.
        (await this.updateCounter(pk, 'SET #c = :one, #e = :ends, #x = :expires', '#e <= :now', values));
      if (counted) return counted;
      // Another attempt restarted the window first: count in it.
    }
    throw new Error(`Attempt counter ${pk.split('#')[0]} kept changing; giving up.`);
  }

  /** One conditional counter update; undefined when its condition did not hold. */
  private async updateCounter(
    pk: string,
    updateExpression: string,
    conditionExpression: string,
    values: Record<string, number>,
  ): Promise<ScopeCount | undefined> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: updateExpression,
          ConditionExpression: conditionExpression,
          ExpressionAttributeNames: { '#c': NAMES['#c'], '#e': NAMES['#e'], '#x': NAMES['#x'] },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toScopeCount(result.Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** Gives an attempt back, in the window it was counted in only. */
  private async refund(reservation: AttemptReservation, scope: AttemptScope): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: attemptKey(scope, reservation.keys) },
          UpdateExpression: 'ADD #c :minusOne',
          ConditionExpression: '#e = :counted AND #c > :zero',
          ExpressionAttributeNames: { '#c': NAMES['#c'], '#e': NAMES['#e'] },
          ExpressionAttributeValues: {
            ':minusOne': -1,
            ':zero': 0,
            ':counted': reservation.scopes[scope].windowEnds,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}

function toScopeCount(item: Record<string, unknown> | undefined): ScopeCount {
  const num = (name: string) => (typeof item?.[name] === 'number' ? (item[name] as number) : 0);
  return { count: num('count'), windowEnds: num('windowEnds'), level: num('level') };
}

/**
 * The admin unlock: deletes a member's counter (and a LINE user's, when given), lockout level
 * included, so the member starts afresh. The global counter is never touched.
 */
export class DynamoAttemptUnlocker implements AttemptUnlocker {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async unlock(keys: { memberId?: string; lineUserId?: string }): Promise<number> {
    const pks = [
      ...(keys.memberId ? [counterKey.member(keys.memberId)] : []),
      ...(keys.lineUserId ? [counterKey.lineUser(keys.lineUserId)] : []),
    ];
    const results = await Promise.all(
      pks.map((pk) =>
        this.client.send(
          new DeleteCommand({ TableName: this.tableName, Key: { pk }, ReturnValues: 'ALL_OLD' }),
        ),
      ),
    );
    return results.filter((r) => r.Attributes !== undefined).length;
  }
}
