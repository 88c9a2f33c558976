import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  globalFailures,
  LEVEL_MEMORY_SECONDS,
  limitOf,
  lockSeconds,
  type AttemptLimits,
} from '../../core/attempt-policy.js';
import { StorageUnavailableError, WriteContendedError } from '../../core/errors.js';
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

/** The attribute under which a counter files one attempt's number (see {@link DynamoAttemptLimiter}). */
export function attemptEntry(id: string): string {
  return `attempt_${id}`;
}

/** Rounds of one transaction of the counters before giving up (conditions that moved, conflicts). */
const ROUNDS = 8;

/** Longest pause after a round lost to another transaction, in ms (jittered below it). */
const MAX_CONFLICT_PAUSE_MS = 400;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** How one scope's counter moves in the next round of {@link DynamoAttemptLimiter.reserve}. */
type CountStep =
  /** In the open window (or the first ever), while it has attempts left: counted and numbered. */
  | { kind: 'count' }
  /** The window has ended: a new one starts with this attempt, the lockout level kept. */
  | { kind: 'restart'; windowEnds: number; level: number }
  /** Over the limit in the open window: counted, not numbered (it is refused anyway). */
  | { kind: 'over' };

/**
 * The attempt counters in DynamoDB, one item per scope (`MEMBER#<memberId>`, `LINE#<lineUserId>`,
 * `ADDR#<sourceIp>`) and `globalShards` items for the service-wide failures (`GLOBAL#0` …), each
 * with `count`, `windowEnds`, `level` and the TTL `expiresAt`.
 *
 * Every change one attempt makes to its scopes' counters is **one TransactWriteItems**, so the
 * counters move together or not at all, with a `ClientRequestToken`, so the SDK's own retry of a
 * transaction whose answer was lost is not applied twice (DynamoDB answers it from the first):
 *
 * - {@link reserve} counts the attempt in all three scopes. Each counter files the attempt's
 *   number under the attempt's own attribute (`attempt_<id>`, set from the count in the same
 *   update), and the numbers are read back by that name, so 50 parallel attempts get the numbers
 *   1…50 exactly. A window that has ended is restarted (a Put conditional on the old end, which
 *   also drops the old entries; TTL deletion lags, so expiry is checked by condition, never
 *   trusted to TTL); a scope already over its limit is counted without an entry, which bounds
 *   the entries per window to the limit plus one. Which of these applies comes from the items
 *   a failed condition returns (`ReturnValuesOnConditionCheckFailure`), and the transaction is
 *   tried again;
 * - {@link fail} locks the scopes whose last attempt this failure used: the window is extended to
 *   the lock's end and the level raised, conditionally on the window being the one counted in;
 *   and counts the failure on one service-wide shard picked at random (one UpdateItem per
 *   failure, none per success: no single item takes every attempt's writes; an estimate, so a
 *   retried one may count twice);
 * - {@link succeed} deletes the member's counter and gives the other scopes their attempt back;
 *   {@link release} gives every scope its attempt back. A refund removes the attempt's entry,
 *   conditionally on it being there, so it is made once and only in the window it was counted in.
 *
 * A round lost to another transaction on the same counter (TransactionConflict) is tried again
 * after a short jittered pause, at most {@link ROUNDS} rounds (then 503 `write-contended`). The
 * number of round trips depends only on the counters, never on whether the member exists.
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
    const id = randomBytes(12).toString('base64url');
    const entry = attemptEntry(id);
    const steps = new Map<AttemptScope, CountStep>(ATTEMPT_SCOPES.map((scope) => [scope, { kind: 'count' }]));
    await this.transact(
      `${id}.r`,
      () =>
        ATTEMPT_SCOPES.map((scope) => [scope, this.countItem(scope, keys, steps.get(scope)!, entry, now)]),
      (failed) => {
        for (const { key, old } of failed) steps.set(key, nextStep(old, now, limitOf(this.limits, key)));
      },
    );
    const items = await Promise.all(
      ATTEMPT_SCOPES.map((scope) =>
        this.client.send(
          new GetCommand({
            TableName: this.tableName,
            Key: { pk: attemptKey(scope, keys) },
            ConsistentRead: true,
            ProjectionExpression: '#c, #e, #l, #a',
            ExpressionAttributeNames: {
              '#c': NAMES['#c'],
              '#e': NAMES['#e'],
              '#l': NAMES['#l'],
              '#a': entry,
            },
          }),
        ),
      ),
    );
    const scopes = Object.fromEntries(
      ATTEMPT_SCOPES.map((scope, i) => {
        const item = items[i]!.Item;
        const current = toScopeCount(item);
        const filed = item?.[entry];
        const count =
          steps.get(scope)!.kind === 'over'
            ? Math.max(current.count, limitOf(this.limits, scope) + 1)
            : typeof filed === 'number'
              ? filed
              : Math.max(1, current.count); // the counter was deleted (admin unlock) meanwhile
        return [scope, { ...current, count }];
      }),
    ) as Record<AttemptScope, ScopeCount>;
    const blocked = ATTEMPT_SCOPES.filter((scope) => scopes[scope].count > limitOf(this.limits, scope));
    return {
      keys,
      scopes,
      allowed: blocked.length === 0,
      retryAfterSeconds: Math.max(0, ...blocked.map((scope) => scopes[scope].windowEnds - now)),
      id,
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
    const lockEnds = new Map(
      lockedScopes.map((scope) => [scope, now + lockSeconds(this.limits, reservation.scopes[scope].level)]),
    );
    const [global] = await Promise.all([
      this.count(globalShardKey(shard), now),
      this.transact(
        `${reservation.id ?? randomBytes(12).toString('base64url')}.f`,
        () => [...lockEnds].map(([scope, ends]) => [scope, this.lockItem(reservation, scope, ends)]),
        // The window moved on meanwhile (a new window, another lock): nothing to lock there.
        (failed) => failed.forEach(({ key }) => lockEnds.delete(key)),
      ),
    ]);
    const outcome = { lockedScopes, global: globalFailures(this.limits, global.count) };
    if (exhausted.length === 0) return outcome;
    const ends = exhausted.map((scope) => lockEnds.get(scope) ?? reservation.scopes[scope].windowEnds);
    return { ...outcome, retryAfterSeconds: Math.max(1, ...ends.map((end) => end - now)) };
  }

  async succeed(reservation: AttemptReservation): Promise<void> {
    const id = attemptIdOf(reservation);
    const refunds = new Set<AttemptScope>(['line-user', 'address']);
    await this.transact(
      `${id}.s`,
      () => [
        [
          'member',
          { Delete: { TableName: this.tableName, Key: { pk: attemptKey('member', reservation.keys) } } },
        ],
        ...[...refunds].map((scope): [AttemptScope, TransactItem] => [
          scope,
          this.refundItem(reservation, scope, id),
        ]),
      ],
      (failed) => failed.forEach(({ key }) => refunds.delete(key)),
    );
  }

  async release(reservation: AttemptReservation): Promise<void> {
    const id = attemptIdOf(reservation);
    const refunds = new Set<AttemptScope>(ATTEMPT_SCOPES);
    await this.transact(
      `${id}.g`,
      () => [...refunds].map((scope) => [scope, this.refundItem(reservation, scope, id)]),
      (failed) => failed.forEach(({ key }) => refunds.delete(key)),
    );
  }

  /**
   * Commits one TransactWriteItems of `items()`, round after round: a round whose conditions
   * failed is re-planned by `replan` (given the items as they were, `ALL_OLD`), a round lost to
   * another transaction is tried again after a jittered pause, and a round still in progress
   * from an earlier attempt (after a timeout) is sent again with the same token until DynamoDB
   * answers it. Each round has its own `ClientRequestToken` (`<prefix><round>`): the SDK's retries
   * of a round send the same token, so a round is applied once however often it is sent.
   */
  private async transact<K extends string>(
    prefix: string,
    items: () => Array<[K, TransactItem]>,
    replan: (failed: Array<{ key: K; old: Record<string, unknown> | undefined }>) => void,
  ): Promise<void> {
    let conflicted = false;
    let round = 0;
    for (let sent = 0; sent < ROUNDS; sent++) {
      const planned = items();
      if (planned.length === 0) return;
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: planned.map(([, item]) => item),
            ClientRequestToken: `${prefix}${round}`,
          }),
        );
        return;
      } catch (error) {
        if (isInProgress(error)) {
          // The same round again, with the same token: DynamoDB answers it once the first is done.
          await pause(sent);
          continue;
        }
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const failed = reasons.flatMap((reason, i) =>
          reason.Code === 'ConditionalCheckFailed'
            ? [{ key: planned[i]![0], old: reason.Item ? unmarshall(reason.Item) : undefined }]
            : [],
        );
        conflicted = reasons.some((reason) => reason.Code === 'TransactionConflict');
        if (failed.length === 0 && !conflicted) throw error;
        replan(failed);
        round++;
        if (conflicted) await pause(sent);
      }
    }
    if (conflicted) throw new WriteContendedError();
    throw new Error('Attempt counters kept changing; giving up.');
  }

  /** One scope's share of {@link reserve}'s transaction, as `step` says. */
  private countItem(
    scope: AttemptScope,
    keys: AttemptKeys,
    step: CountStep,
    entry: string,
    now: number,
  ): TransactItem {
    const pk = attemptKey(scope, keys);
    const windowEnds = now + this.limits.windowSeconds;
    const expiresAt = windowEnds + LEVEL_MEMORY_SECONDS;
    if (step.kind === 'restart') {
      return {
        Put: {
          TableName: this.tableName,
          Item: {
            pk,
            count: 1,
            windowEnds,
            expiresAt,
            ...(step.level ? { level: step.level } : {}),
            [entry]: 1,
          },
          ConditionExpression: '#e = :ended',
          ExpressionAttributeNames: { '#e': NAMES['#e'] },
          ExpressionAttributeValues: { ':ended': step.windowEnds },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      };
    }
    if (step.kind === 'over') {
      return {
        Update: {
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: 'ADD #c :one',
          ConditionExpression: '#e > :now',
          ExpressionAttributeNames: { '#c': NAMES['#c'], '#e': NAMES['#e'] },
          ExpressionAttributeValues: { ':one': 1, ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      };
    }
    return {
      Update: {
        TableName: this.tableName,
        Key: { pk },
        // Every operand reads the item as it was: #a gets the same new count as #c.
        UpdateExpression:
          'SET #c = if_not_exists(#c, :zero) + :one, #a = if_not_exists(#c, :zero) + :one, ' +
          '#e = if_not_exists(#e, :ends), #x = if_not_exists(#x, :expires)',
        // The window is open (or there is none yet) and has attempts left to number.
        ConditionExpression:
          '(attribute_not_exists(#e) OR #e > :now) AND (attribute_not_exists(#c) OR #c <= :limit)',
        ExpressionAttributeNames: { '#c': NAMES['#c'], '#e': NAMES['#e'], '#x': NAMES['#x'], '#a': entry },
        ExpressionAttributeValues: {
          ':zero': 0,
          ':one': 1,
          ':now': now,
          ':ends': windowEnds,
          ':expires': expiresAt,
          ':limit': limitOf(this.limits, scope),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /** Locks a scope until `lockEnds`, raising its level, in the window the attempt was counted in only. */
  private lockItem(reservation: AttemptReservation, scope: AttemptScope, lockEnds: number): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: { pk: attemptKey(scope, reservation.keys) },
        UpdateExpression: 'SET #e = :lockEnds, #x = :expires ADD #l :one',
        ConditionExpression: '#e = :counted',
        ExpressionAttributeNames: { '#e': NAMES['#e'], '#l': NAMES['#l'], '#x': NAMES['#x'] },
        ExpressionAttributeValues: {
          ':lockEnds': lockEnds,
          ':expires': lockEnds + LEVEL_MEMORY_SECONDS,
          ':one': 1,
          ':counted': reservation.scopes[scope].windowEnds,
        },
      },
    };
  }

  /** Gives an attempt back: its entry removed, once, in the window it was counted in only. */
  private refundItem(reservation: AttemptReservation, scope: AttemptScope, id: string): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: { pk: attemptKey(scope, reservation.keys) },
        UpdateExpression: 'ADD #c :minusOne REMOVE #a',
        ConditionExpression: 'attribute_exists(#a) AND #e = :counted',
        ExpressionAttributeNames: { '#c': NAMES['#c'], '#e': NAMES['#e'], '#a': attemptEntry(id) },
        ExpressionAttributeValues: { ':minusOne': -1, ':counted': reservation.scopes[scope].windowEnds },
      },
    };
  }

  /** Counts one failure on a global shard in its current window, starting a new window when it has ended. */
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
        // The window has ended: start a new one.
        (await this.updateCounter(pk, 'SET #c = :one, #e = :ends, #x = :expires', '#e <= :now', values));
      if (counted) return counted;
      // Another failure restarted the window first: count in it.
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

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}

/** What a counter that failed {@link DynamoAttemptLimiter.reserve}'s condition calls for next. */
function nextStep(old: Record<string, unknown> | undefined, now: number, limit: number): CountStep {
  if (typeof old?.windowEnds !== 'number') return { kind: 'count' }; // gone meanwhile
  const counted = toScopeCount(old);
  if (counted.windowEnds <= now)
    return { kind: 'restart', windowEnds: counted.windowEnds, level: counted.level };
  return counted.count > limit ? { kind: 'over' } : { kind: 'count' };
}

function toScopeCount(item: Record<string, unknown> | undefined): ScopeCount {
  const num = (name: string) => (typeof item?.[name] === 'number' ? (item[name] as number) : 0);
  return { count: num('count'), windowEnds: num('windowEnds'), level: num('level') };
}

function attemptIdOf(reservation: AttemptReservation): string {
  if (!reservation.id) throw new Error('This attempt was not counted by the DynamoDB limiter.');
  return reservation.id;
}

/** A transaction whose earlier sending with the same token DynamoDB is still working on. */
function isInProgress(error: unknown): boolean {
  const cause = error instanceof StorageUnavailableError ? error.cause : error;
  return cause instanceof Error && cause.name === 'TransactionInProgressException';
}

/** A jittered pause growing with the round. */
function pause(round: number): Promise<void> {
  return sleep(Math.floor(Math.random() * Math.min(MAX_CONFLICT_PAUSE_MS, 25 * 2 ** round)));
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
