import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
  type CancellationReason,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  attemptEntry,
  DynamoAttemptLimiter,
  DynamoAttemptUnlocker,
} from '../../../../functions/adapters/dynamo/dynamo-attempt-limiter.js';
import { LEVEL_MEMORY_SECONDS, type AttemptLimits } from '../../../../functions/core/attempt-policy.js';
import { StorageUnavailableError } from '../../../../functions/core/errors.js';
import type { AttemptReservation, ScopeCount } from '../../../../functions/core/ports/index.js';

/**
 * The attempt counters against a mocked document client: the exact transactions that count,
 * restart, lock and refund (their conditions are the guessing protection), and the branches a
 * real table only takes in races: a window that ended or filled up under the attempt, another
 * transaction in the way, a lock that lost to a new window, a refund into a window that has
 * moved on. What the SDK does with a lost answer or a fault is tested against DynamoDB Local
 * (test/integration/adapters/dynamo/dynamo-faults.test.ts).
 */

const TABLE = 'attempts';
const NOW = 1_800_000_000; // epoch seconds of the frozen clock
const clock = { now: () => new Date(NOW * 1000) };
const limits: AttemptLimits = {
  perMember: 3,
  perLineUser: 5,
  perAddress: 10,
  global: 100,
  globalShards: 10,
  windowSeconds: 900,
};
const keys = { memberId: 'M1', lineUserId: 'U1', sourceIp: '203.0.113.7' };
const PKS = { member: 'MEMBER#M1', 'line-user': 'LINE#U1', address: 'ADDR#203.0.113.7' } as const;
const LIMIT_OF = { 'MEMBER#M1': 3, 'LINE#U1': 5, 'ADDR#203.0.113.7': 10 } as Record<string, number>;

const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const ddb = mockClient(client);
beforeEach(() => ddb.reset());

const limiter = (random = () => 0.55) => new DynamoAttemptLimiter(client, TABLE, limits, clock, random);
const transactions = () => ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input);
const updates = () => ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
const cancelled = (...reasons: CancellationReason[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled [${reasons.map((r) => r.Code).join(', ')}]`,
    $metadata: {},
    CancellationReasons: reasons,
  });
/** A failed condition with the item as it was (`ALL_OLD`, as DynamoDB sends it: attribute values). */
const failedWith = (item?: Record<string, unknown>): CancellationReason => ({
  Code: 'ConditionalCheckFailed',
  ...(item ? { Item: marshall(item) } : {}),
});
const NONE: CancellationReason = { Code: 'None' };
const CONFLICT: CancellationReason = { Code: 'TransactionConflict' };
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** The attempt ID the limiter drew, from its first transaction's token (`<id>.r0`). */
const attemptId = () => transactions()[0]!.ClientRequestToken!.replace(/\.r\d+$/, '');

/** The counting update of `pk` for attempt `id` at the frozen time. */
const counting = (pk: string, id: string) => ({
  Update: {
    TableName: TABLE,
    Key: { pk },
    UpdateExpression:
      'SET #c = if_not_exists(#c, :zero) + :one, #a = if_not_exists(#c, :zero) + :one, ' +
      '#e = if_not_exists(#e, :ends), #x = if_not_exists(#x, :expires)',
    ConditionExpression:
      '(attribute_not_exists(#e) OR #e > :now) AND (attribute_not_exists(#c) OR #c <= :limit)',
    ExpressionAttributeNames: {
      '#c': 'count',
      '#e': 'windowEnds',
      '#x': 'expiresAt',
      '#a': attemptEntry(id),
    },
    ExpressionAttributeValues: {
      ':zero': 0,
      ':one': 1,
      ':now': NOW,
      ':ends': NOW + 900,
      ':expires': NOW + 900 + LEVEL_MEMORY_SECONDS,
      ':limit': LIMIT_OF[pk],
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/** Answers the read-back of every counter: its number for this attempt, or as given per key. */
function readBack(items: Record<string, (entry: string) => Record<string, unknown> | undefined>) {
  ddb
    .on(GetCommand)
    .callsFake((input: { Key: { pk: string }; ExpressionAttributeNames: { '#a': string } }) => ({
      Item: items[input.Key.pk]?.(input.ExpressionAttributeNames['#a']),
    }));
}
const numbered =
  (n: number, windowEnds = NOW + 900, level = 0, count = n) =>
  (entry: string) => ({ count, windowEnds, level, [entry]: n });

describe('reserve', () => {
  test('counts the attempt in all three scopes in one transaction with a token, then reads its numbers back', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    readBack({
      'MEMBER#M1': numbered(2, NOW + 900, 0, 7), // the counter went on; this attempt was the 2nd
      'LINE#U1': numbered(4, NOW + 600, 1),
      'ADDR#203.0.113.7': numbered(1),
    });

    const reservation = await limiter().reserve(keys);

    const id = attemptId();
    expect(transactions()).toEqual([
      {
        TransactItems: [counting('MEMBER#M1', id), counting('LINE#U1', id), counting('ADDR#203.0.113.7', id)],
        ClientRequestToken: `${id}.r0`,
      },
    ]);
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(ddb.commandCalls(GetCommand).map((call) => call.args[0].input)).toEqual(
      Object.values(PKS).map((pk) => ({
        TableName: TABLE,
        Key: { pk },
        ConsistentRead: true,
        ProjectionExpression: '#c, #e, #l, #a',
        ExpressionAttributeNames: {
          '#c': 'count',
          '#e': 'windowEnds',
          '#l': 'level',
          '#a': attemptEntry(id),
        },
      })),
    );
    expect(reservation).toEqual({
      keys,
      id,
      allowed: true,
      retryAfterSeconds: 0,
      scopes: {
        member: { count: 2, windowEnds: NOW + 900, level: 0 },
        'line-user': { count: 4, windowEnds: NOW + 600, level: 1 },
        address: { count: 1, windowEnds: NOW + 900, level: 0 },
      },
    });
  });

  test('every attempt draws its own ID', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    readBack({ 'MEMBER#M1': numbered(1), 'LINE#U1': numbered(1), 'ADDR#203.0.113.7': numbered(1) });
    const [a, b] = [await limiter().reserve(keys), await limiter().reserve(keys)];
    expect(a.id).not.toBe(b.id);
  });

  test('over a limit: not allowed, retry after the latest end among the blocking scopes', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    readBack({
      'MEMBER#M1': numbered(4, NOW + 300), // limit 3
      'LINE#U1': numbered(6, NOW + 1800), // limit 5
      'ADDR#203.0.113.7': numbered(10, NOW + 5000), // at its limit of 10: still allowed
    });

    const reservation = await limiter().reserve(keys);

    expect(reservation.allowed).toBe(false);
    expect(reservation.retryAfterSeconds).toBe(1800);
  });

  test('a window that has ended is restarted by a Put conditional on its end, keeping the level', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(
        cancelled(failedWith({ pk: 'MEMBER#M1', count: 9, windowEnds: NOW - 5, level: 2 }), NONE, NONE),
      )
      .resolves({});
    readBack({
      'MEMBER#M1': numbered(1, NOW + 900, 2),
      'LINE#U1': numbered(1),
      'ADDR#203.0.113.7': numbered(1),
    });

    const reservation = await limiter().reserve(keys);

    const id = attemptId();
    const [first, second] = transactions();
    expect(first!.ClientRequestToken).toBe(`${id}.r0`);
    expect(second!.ClientRequestToken).toBe(`${id}.r1`); // other items, another token
    expect(second!.TransactItems).toEqual([
      {
        Put: {
          TableName: TABLE,
          Item: {
            pk: 'MEMBER#M1',
            count: 1,
            windowEnds: NOW + 900,
            expiresAt: NOW + 900 + LEVEL_MEMORY_SECONDS,
            level: 2,
            [attemptEntry(id)]: 1,
          },
          ConditionExpression: '#e = :ended',
          ExpressionAttributeNames: { '#e': 'windowEnds' },
          ExpressionAttributeValues: { ':ended': NOW - 5 },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      counting('LINE#U1', id),
      counting('ADDR#203.0.113.7', id),
    ]);
    expect(reservation.scopes.member).toEqual({ count: 1, windowEnds: NOW + 900, level: 2 });
  });

  test('another attempt restarted the window first: counts in the new window', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(failedWith({ pk: 'MEMBER#M1', count: 2, windowEnds: NOW - 5 }), NONE, NONE))
      .rejectsOnce(cancelled(failedWith({ pk: 'MEMBER#M1', count: 1, windowEnds: NOW + 900 }), NONE, NONE))
      .resolves({});
    readBack({ 'MEMBER#M1': numbered(2), 'LINE#U1': numbered(1), 'ADDR#203.0.113.7': numbered(1) });

    const reservation = await limiter().reserve(keys);

    expect(transactions().map((t) => Object.keys(t.TransactItems![0]!)[0])).toEqual([
      'Update',
      'Put',
      'Update',
    ]);
    expect(transactions()[2]!.TransactItems![0]).toEqual(counting('MEMBER#M1', attemptId()));
    expect(reservation.scopes.member.count).toBe(2);
  });

  test('a scope over its limit is counted without a number (no entry): refused, the others numbered', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(NONE, failedWith({ pk: 'LINE#U1', count: 6, windowEnds: NOW + 700 }), NONE))
      .resolves({});
    readBack({
      'MEMBER#M1': numbered(1),
      'LINE#U1': () => ({ count: 4, windowEnds: NOW + 700, level: 0 }), // refunds came meanwhile
      'ADDR#203.0.113.7': numbered(1),
    });

    const reservation = await limiter().reserve(keys);

    expect(transactions()[1]!.TransactItems![1]).toEqual({
      Update: {
        TableName: TABLE,
        Key: { pk: 'LINE#U1' },
        UpdateExpression: 'ADD #c :one',
        ConditionExpression: '#e > :now',
        ExpressionAttributeNames: { '#c': 'count', '#e': 'windowEnds' },
        ExpressionAttributeValues: { ':one': 1, ':now': NOW },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
    // Over the limit whatever the read says.
    expect(reservation.scopes['line-user']).toEqual({ count: 6, windowEnds: NOW + 700, level: 0 });
    expect(reservation.allowed).toBe(false);
    expect(reservation.retryAfterSeconds).toBe(700);
  });

  test('a counter deleted meanwhile (no item returned) is counted afresh', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(failedWith(), NONE, NONE))
      .resolves({});
    readBack({ 'MEMBER#M1': numbered(1), 'LINE#U1': numbered(1), 'ADDR#203.0.113.7': numbered(1) });
    await limiter().reserve(keys);
    expect(transactions()[1]!.TransactItems![0]).toEqual(counting('MEMBER#M1', attemptId()));
  });

  test('a round lost to another transaction is tried again with a new token', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(CONFLICT, NONE, NONE))
      .resolves({});
    readBack({ 'MEMBER#M1': numbered(1), 'LINE#U1': numbered(1), 'ADDR#203.0.113.7': numbered(1) });

    await limiter().reserve(keys);

    const id = attemptId();
    expect(transactions().map((t) => t.ClientRequestToken)).toEqual([`${id}.r0`, `${id}.r1`]);
    expect(transactions()[1]!.TransactItems).toEqual(transactions()[0]!.TransactItems);
  });

  test('a round still in progress (after a timeout) is sent again with the same token', async () => {
    const inProgress = Object.assign(new Error('Transaction is in progress'), {
      name: 'TransactionInProgressException',
    });
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(new StorageUnavailableError({ cause: inProgress }))
      .resolves({});
    readBack({ 'MEMBER#M1': numbered(1), 'LINE#U1': numbered(1), 'ADDR#203.0.113.7': numbered(1) });

    await limiter().reserve(keys);

    const id = attemptId();
    expect(transactions().map((t) => t.ClientRequestToken)).toEqual([`${id}.r0`, `${id}.r0`]);
  });

  test('conflicts that never clear: write-contended after 8 rounds, nothing read', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(NONE, CONFLICT, NONE));
    await expect(limiter().reserve(keys)).rejects.toMatchObject({ code: 'write-contended' });
    expect(transactions()).toHaveLength(8);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  test('a counter that keeps changing: gives up after 8 rounds', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(cancelled(NONE, failedWith({ pk: 'LINE#U1', count: 1, windowEnds: NOW + 900 }), NONE));
    await expect(limiter().reserve(keys)).rejects.toThrow('Attempt counters kept changing; giving up.');
    expect(transactions()).toHaveLength(8);
  });

  test('a storage fault and any other cancellation are thrown as they are', async () => {
    const fault = new StorageUnavailableError({ cause: new Error('throttled') });
    ddb.on(TransactWriteCommand).rejects(fault);
    await expect(limiter().reserve(keys)).rejects.toBe(fault);

    ddb.reset();
    const invalid = cancelled(NONE, { Code: 'ValidationError' }, NONE);
    ddb.on(TransactWriteCommand).rejects(invalid);
    await expect(limiter().reserve(keys)).rejects.toBe(invalid);
    expect(transactions()).toHaveLength(1);
  });
});

/** A reservation as {@link DynamoAttemptLimiter.reserve} returns it. */
const reservation = (
  member: ScopeCount,
  lineUser: ScopeCount = { count: 1, windowEnds: NOW + 900, level: 0 },
  address: ScopeCount = { count: 1, windowEnds: NOW + 900, level: 0 },
): AttemptReservation => ({
  keys,
  id: 'attempt-0123456',
  allowed: true,
  retryAfterSeconds: 0,
  scopes: { member, 'line-user': lineUser, address },
});

/** The global shard's UpdateItem that counts a failure. */
const globalCount = (pk: string) => ({
  TableName: TABLE,
  Key: { pk },
  UpdateExpression: 'ADD #c :one SET #e = if_not_exists(#e, :ends), #x = if_not_exists(#x, :expires)',
  ConditionExpression: 'attribute_not_exists(#e) OR #e > :now',
  ExpressionAttributeNames: { '#c': 'count', '#e': 'windowEnds', '#x': 'expiresAt' },
  ExpressionAttributeValues: {
    ':one': 1,
    ':now': NOW,
    ':ends': NOW + 900,
    ':expires': NOW + 900 + LEVEL_MEMORY_SECONDS,
  },
  ReturnValues: 'ALL_NEW',
});
const shardCount = (count: number) => ({ Attributes: { pk: 'GLOBAL#x', count, windowEnds: NOW + 900 } });

const lock = (pk: string, counted: number, lockEnds: number) => ({
  Update: {
    TableName: TABLE,
    Key: { pk },
    UpdateExpression: 'SET #e = :lockEnds, #x = :expires ADD #l :one',
    ConditionExpression: '#e = :counted',
    ExpressionAttributeNames: { '#e': 'windowEnds', '#l': 'level', '#x': 'expiresAt' },
    ExpressionAttributeValues: {
      ':lockEnds': lockEnds,
      ':expires': lockEnds + LEVEL_MEMORY_SECONDS,
      ':one': 1,
      ':counted': counted,
    },
  },
});

describe('fail', () => {
  test('a failure with attempts left only counts on one random global shard', async () => {
    ddb.on(UpdateCommand).resolves(shardCount(7));

    const outcome = await limiter(() => 0.55).fail(
      reservation({ count: 2, windowEnds: NOW + 900, level: 0 }),
    );

    expect(updates()).toEqual([globalCount('GLOBAL#5')]);
    expect(transactions()).toHaveLength(0);
    expect(outcome).toEqual({ lockedScopes: [], global: { failures: 70, overThreshold: false } });
  });

  test('the global estimate goes over the threshold', async () => {
    ddb.on(UpdateCommand).resolves(shardCount(11));
    const outcome = await limiter(() => 0.999).fail(
      reservation({ count: 1, windowEnds: NOW + 900, level: 0 }),
    );
    expect(updates()[0]!.Key).toEqual({ pk: 'GLOBAL#9' });
    expect(outcome.global).toEqual({ failures: 110, overThreshold: true });
  });

  test('an ended global window is restarted by a second update conditional on its end', async () => {
    ddb
      .on(UpdateCommand, { ConditionExpression: 'attribute_not_exists(#e) OR #e > :now' })
      .rejects(conditionFailed())
      .on(UpdateCommand, { ConditionExpression: '#e <= :now' })
      .resolves(shardCount(1));
    const outcome = await limiter().fail(reservation({ count: 1, windowEnds: NOW + 900, level: 0 }));
    expect(updates().map((u) => u.UpdateExpression)).toEqual([
      globalCount('GLOBAL#5').UpdateExpression,
      'SET #c = :one, #e = :ends, #x = :expires',
    ]);
    expect(outcome.global.failures).toBe(10);
  });

  test('the failure that uses the last attempt locks the scope: window extended, level raised, on the counted window only', async () => {
    ddb.on(UpdateCommand).resolves(shardCount(1)).on(TransactWriteCommand).resolves({});
    const windowEnds = NOW + 400;

    const outcome = await limiter().fail(reservation({ count: 3, windowEnds, level: 2 }));

    const lockEnds = NOW + 900 * 4; // windowSeconds × 2^level
    expect(transactions()).toEqual([
      { TransactItems: [lock('MEMBER#M1', windowEnds, lockEnds)], ClientRequestToken: 'attempt-0123456.f0' },
    ]);
    expect(outcome).toEqual({
      lockedScopes: ['member'],
      retryAfterSeconds: 900 * 4,
      global: { failures: 10, overThreshold: false },
    });
  });

  test('scopes that use their last attempts together are locked together', async () => {
    ddb.on(UpdateCommand).resolves(shardCount(1)).on(TransactWriteCommand).resolves({});
    await limiter().fail(
      reservation(
        { count: 3, windowEnds: NOW + 400, level: 0 },
        { count: 5, windowEnds: NOW + 500, level: 1 },
      ),
    );
    expect(transactions()).toHaveLength(1);
    expect(transactions()[0]!.TransactItems).toEqual([
      lock('MEMBER#M1', NOW + 400, NOW + 900),
      lock('LINE#U1', NOW + 500, NOW + 1800),
    ]);
  });

  test('a lock lost to a new window (condition failed): that scope is left out, retry after the counted window', async () => {
    ddb
      .on(UpdateCommand)
      .resolves(shardCount(1))
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(failedWith({ pk: 'MEMBER#M1', windowEnds: NOW + 900 }), NONE))
      .resolves({});

    const outcome = await limiter().fail(
      reservation(
        { count: 3, windowEnds: NOW + 400, level: 0 },
        { count: 5, windowEnds: NOW + 500, level: 0 },
      ),
    );

    expect(transactions()[1]).toEqual({
      TransactItems: [lock('LINE#U1', NOW + 500, NOW + 900)],
      ClientRequestToken: 'attempt-0123456.f1',
    });
    expect(outcome.lockedScopes).toEqual(['member', 'line-user']);
    expect(outcome.retryAfterSeconds).toBe(900);
  });

  test('the only lock lost: no second transaction', async () => {
    ddb
      .on(UpdateCommand)
      .resolves(shardCount(1))
      .on(TransactWriteCommand)
      .rejects(cancelled(failedWith({ pk: 'MEMBER#M1', windowEnds: NOW + 900 })));
    const outcome = await limiter().fail(reservation({ count: 3, windowEnds: NOW + 400, level: 0 }));
    expect(transactions()).toHaveLength(1);
    expect(outcome.retryAfterSeconds).toBe(400);
  });

  test('a lock that fails otherwise is thrown', async () => {
    const error = new StorageUnavailableError();
    ddb.on(UpdateCommand).resolves(shardCount(1)).on(TransactWriteCommand).rejects(error);
    await expect(limiter().fail(reservation({ count: 3, windowEnds: NOW + 400, level: 0 }))).rejects.toBe(
      error,
    );
  });

  test('a scope already over its limit is not locked again; retry after its current end', async () => {
    ddb.on(UpdateCommand).resolves(shardCount(1)).on(TransactWriteCommand).resolves({});

    const outcome = await limiter().fail(
      reservation(
        { count: 5, windowEnds: NOW + 2000, level: 1 },
        { count: 5, windowEnds: NOW + 100, level: 0 },
      ),
    );

    // member is over (5 > 3): not locked again; line-user uses its last attempt (5 = 5): locked.
    expect(transactions()[0]!.TransactItems).toEqual([lock('LINE#U1', NOW + 100, NOW + 900)]);
    expect(outcome.lockedScopes).toEqual(['line-user']);
    expect(outcome.retryAfterSeconds).toBe(2000);
  });

  test('a window already at its end still gives at least one second', async () => {
    ddb.on(UpdateCommand).resolves(shardCount(1));
    const outcome = await limiter().fail(reservation({ count: 4, windowEnds: NOW, level: 0 }));
    expect(outcome.retryAfterSeconds).toBe(1);
  });
});

const refund = (pk: string, windowEnds: number) => ({
  Update: {
    TableName: TABLE,
    Key: { pk },
    UpdateExpression: 'ADD #c :minusOne REMOVE #a',
    ConditionExpression: 'attribute_exists(#a) AND #e = :counted',
    ExpressionAttributeNames: { '#c': 'count', '#e': 'windowEnds', '#a': attemptEntry('attempt-0123456') },
    ExpressionAttributeValues: { ':minusOne': -1, ':counted': windowEnds },
  },
});

describe('succeed and release', () => {
  const counts = reservation(
    { count: 2, windowEnds: NOW + 100, level: 0 },
    { count: 3, windowEnds: NOW + 200, level: 0 },
    { count: 4, windowEnds: NOW + 300, level: 0 },
  );

  test('success deletes the member counter and refunds the other scopes, in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await limiter().succeed(counts);

    expect(transactions()).toEqual([
      {
        TransactItems: [
          { Delete: { TableName: TABLE, Key: { pk: 'MEMBER#M1' } } },
          refund('LINE#U1', NOW + 200),
          refund('ADDR#203.0.113.7', NOW + 300),
        ],
        ClientRequestToken: 'attempt-0123456.s0',
      },
    ]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  test('release refunds every scope in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await limiter().release(counts);
    expect(transactions()).toEqual([
      {
        TransactItems: [
          refund('MEMBER#M1', NOW + 100),
          refund('LINE#U1', NOW + 200),
          refund('ADDR#203.0.113.7', NOW + 300),
        ],
        ClientRequestToken: 'attempt-0123456.g0',
      },
    ]);
  });

  test('a refund into a window that moved on, or already made, is left out; the rest still move together', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(NONE, failedWith({ pk: 'LINE#U1', windowEnds: NOW + 900 }), NONE))
      .resolves({});
    await limiter().release(counts);
    expect(transactions()[1]).toEqual({
      TransactItems: [refund('MEMBER#M1', NOW + 100), refund('ADDR#203.0.113.7', NOW + 300)],
      ClientRequestToken: 'attempt-0123456.g1',
    });
  });

  test('every refund already made: nothing more is sent', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(cancelled(failedWith({ pk: 'a' }), failedWith({ pk: 'b' }), failedWith({ pk: 'c' })));
    await expect(limiter().release(counts)).resolves.toBeUndefined();
    expect(transactions()).toHaveLength(1);
  });

  test('a refund that fails otherwise is thrown', async () => {
    const error = new StorageUnavailableError();
    ddb.on(TransactWriteCommand).rejects(error);
    await expect(limiter().release(counts)).rejects.toBe(error);
  });

  test('a reservation this limiter did not make is refused', async () => {
    const foreign = { ...counts, id: undefined };
    await expect(limiter().release(foreign)).rejects.toThrow('not counted by the DynamoDB limiter');
    await expect(limiter().succeed(foreign)).rejects.toThrow('not counted by the DynamoDB limiter');
    expect(transactions()).toHaveLength(0);
  });
});

describe('DynamoAttemptUnlocker', () => {
  test('deletes the member and LINE user counters and counts those that existed (ALL_OLD)', async () => {
    ddb
      .on(DeleteCommand, { Key: { pk: 'MEMBER#M1' } })
      .resolves({ Attributes: { pk: 'MEMBER#M1', count: 3 } })
      .on(DeleteCommand, { Key: { pk: 'LINE#U1' } })
      .resolves({});

    const unlocked = await new DynamoAttemptUnlocker(client, TABLE).unlock({
      memberId: 'M1',
      lineUserId: 'U1',
    });

    expect(unlocked).toBe(1);
    expect(ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: TABLE, Key: { pk: 'MEMBER#M1' }, ReturnValues: 'ALL_OLD' },
      { TableName: TABLE, Key: { pk: 'LINE#U1' }, ReturnValues: 'ALL_OLD' },
    ]);
  });

  test('only the keys given; nothing given, nothing deleted', async () => {
    ddb.on(DeleteCommand).resolves({ Attributes: { pk: 'LINE#U1' } });
    const unlocker = new DynamoAttemptUnlocker(client, TABLE);
    expect(await unlocker.unlock({ lineUserId: 'U1' })).toBe(1);
    expect(await unlocker.unlock({})).toBe(0);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(1);
  });
});
