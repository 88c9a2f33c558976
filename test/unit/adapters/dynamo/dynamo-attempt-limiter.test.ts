import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DynamoAttemptLimiter,
  DynamoAttemptUnlocker,
} from '../../../../functions/adapters/dynamo/dynamo-attempt-limiter.js';
import { LEVEL_MEMORY_SECONDS, type AttemptLimits } from '../../../../functions/core/attempt-policy.js';
import type { AttemptReservation, ScopeCount } from '../../../../functions/core/ports/index.js';

/**
 * The attempt counters against a mocked document client: the exact counting, restarting,
 * locking and refunding updates (their conditions are the guessing protection), and the
 * branches a real table only takes in races: a window restarted by another attempt, a lock
 * that lost to a new window, a refund into a window that has moved on.
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

const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const ddb = mockClient(client);
beforeEach(() => ddb.reset());

const limiter = (random = () => 0.55) => new DynamoAttemptLimiter(client, TABLE, limits, clock, random);
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const updates = () => ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);

const COUNT = 'ADD #c :one SET #e = if_not_exists(#e, :ends), #x = if_not_exists(#x, :expires)';
const COUNT_CONDITION = 'attribute_not_exists(#e) OR #e > :now';
const RESTART = 'SET #c = :one, #e = :ends, #x = :expires';
const RESTART_CONDITION = '#e <= :now';

/** The exact UpdateItem that counts (or restarts) `pk`'s window at the frozen time. */
const counting = (pk: string, update = COUNT, condition = COUNT_CONDITION) => ({
  TableName: TABLE,
  Key: { pk },
  UpdateExpression: update,
  ConditionExpression: condition,
  ExpressionAttributeNames: { '#c': 'count', '#e': 'windowEnds', '#x': 'expiresAt' },
  ExpressionAttributeValues: {
    ':one': 1,
    ':now': NOW,
    ':ends': NOW + 900,
    ':expires': NOW + 900 + LEVEL_MEMORY_SECONDS,
  },
  ReturnValues: 'ALL_NEW',
});

const counted = (count: number, windowEnds = NOW + 900, level = 0) => ({
  Attributes: { pk: 'x', count, windowEnds, level, expiresAt: windowEnds + LEVEL_MEMORY_SECONDS },
});

describe('reserve', () => {
  test('counts the attempt in all three scopes with one conditional ADD each, reading the count back', async () => {
    ddb
      .on(UpdateCommand, { Key: { pk: 'MEMBER#M1' } })
      .resolves(counted(2))
      .on(UpdateCommand, { Key: { pk: 'LINE#U1' } })
      .resolves(counted(4, NOW + 600, 1))
      .on(UpdateCommand, { Key: { pk: 'ADDR#203.0.113.7' } })
      .resolves(counted(1));

    const reservation = await limiter().reserve(keys);

    expect(updates()).toEqual([counting('MEMBER#M1'), counting('LINE#U1'), counting('ADDR#203.0.113.7')]);
    expect(reservation).toEqual({
      keys,
      allowed: true,
      retryAfterSeconds: 0,
      scopes: {
        member: { count: 2, windowEnds: NOW + 900, level: 0 },
        'line-user': { count: 4, windowEnds: NOW + 600, level: 1 },
        address: { count: 1, windowEnds: NOW + 900, level: 0 },
      },
    });
  });

  test('over a limit: not allowed, retry after the latest end among the blocking scopes', async () => {
    ddb
      .on(UpdateCommand, { Key: { pk: 'MEMBER#M1' } })
      .resolves(counted(4, NOW + 300)) // limit 3
      .on(UpdateCommand, { Key: { pk: 'LINE#U1' } })
      .resolves(counted(6, NOW + 1800)) // limit 5
      .on(UpdateCommand, { Key: { pk: 'ADDR#203.0.113.7' } })
      .resolves(counted(10, NOW + 5000)); // at its limit of 10: still allowed

    const reservation = await limiter().reserve(keys);

    expect(reservation.allowed).toBe(false);
    expect(reservation.retryAfterSeconds).toBe(1800);
  });

  test('a window that has ended is restarted by a second update conditional on its end', async () => {
    ddb
      .on(UpdateCommand)
      .resolves(counted(1))
      .on(UpdateCommand, { Key: { pk: 'MEMBER#M1' }, ConditionExpression: COUNT_CONDITION })
      .rejects(conditionFailed())
      .on(UpdateCommand, { Key: { pk: 'MEMBER#M1' }, ConditionExpression: RESTART_CONDITION })
      .resolves(counted(1, NOW + 900, 2));

    const reservation = await limiter().reserve(keys);

    expect(updates().filter((input) => input.Key!.pk === 'MEMBER#M1')).toEqual([
      counting('MEMBER#M1'),
      counting('MEMBER#M1', RESTART, RESTART_CONDITION),
    ]);
    // The restart keeps the lockout level (it does not SET #l).
    expect(reservation.scopes.member).toEqual({ count: 1, windowEnds: NOW + 900, level: 2 });
  });

  test('another attempt restarted the window first: counts again in the new window', async () => {
    ddb
      .on(UpdateCommand)
      .resolves(counted(1))
      .on(UpdateCommand, { Key: { pk: 'MEMBER#M1' }, ConditionExpression: COUNT_CONDITION })
      .rejectsOnce(conditionFailed())
      .resolves(counted(2))
      .on(UpdateCommand, { Key: { pk: 'MEMBER#M1' }, ConditionExpression: RESTART_CONDITION })
      .rejects(conditionFailed());

    const reservation = await limiter().reserve(keys);

    expect(
      updates()
        .filter((input) => input.Key!.pk === 'MEMBER#M1')
        .map((input) => input.ConditionExpression),
    ).toEqual([COUNT_CONDITION, RESTART_CONDITION, COUNT_CONDITION]);
    expect(reservation.scopes.member.count).toBe(2);
  });

  test('a counter that keeps changing: gives up after five rounds', async () => {
    ddb
      .on(UpdateCommand)
      .resolves(counted(1))
      .on(UpdateCommand, { Key: { pk: 'LINE#U1' } })
      .rejects(conditionFailed());
    await expect(limiter().reserve(keys)).rejects.toThrow('Attempt counter LINE kept changing; giving up.');
    expect(updates().filter((input) => input.Key!.pk === 'LINE#U1')).toHaveLength(10);
  });

  test('errors other than a failed condition are thrown', async () => {
    const error = new Error('throttled');
    ddb
      .on(UpdateCommand)
      .resolves(counted(1))
      .on(UpdateCommand, { Key: { pk: 'ADDR#203.0.113.7' } })
      .rejects(error);
    await expect(limiter().reserve(keys)).rejects.toBe(error);
  });
});

/** A reservation as {@link DynamoAttemptLimiter.reserve} returns it. */
const reservation = (
  member: ScopeCount,
  lineUser: ScopeCount = { count: 1, windowEnds: NOW + 900, level: 0 },
  address: ScopeCount = { count: 1, windowEnds: NOW + 900, level: 0 },
): AttemptReservation => ({
  keys,
  allowed: true,
  retryAfterSeconds: 0,
  scopes: { member, 'line-user': lineUser, address },
});

describe('fail', () => {
  test('a failure with attempts left only counts on one random global shard', async () => {
    ddb.on(UpdateCommand).resolves(counted(7));

    const outcome = await limiter(() => 0.55).fail(
      reservation({ count: 2, windowEnds: NOW + 900, level: 0 }),
    );

    expect(updates()).toEqual([counting('GLOBAL#5')]);
    expect(outcome).toEqual({ lockedScopes: [], global: { failures: 70, overThreshold: false } });
  });

  test('the global estimate goes over the threshold', async () => {
    ddb.on(UpdateCommand).resolves(counted(11));
    const outcome = await limiter(() => 0.999).fail(
      reservation({ count: 1, windowEnds: NOW + 900, level: 0 }),
    );
    expect(updates()[0]!.Key).toEqual({ pk: 'GLOBAL#9' });
    expect(outcome.global).toEqual({ failures: 110, overThreshold: true });
  });

  test('the failure that uses the last attempt locks the scope: window extended, level raised, on the counted window only', async () => {
    ddb.on(UpdateCommand).resolves(counted(1));
    const windowEnds = NOW + 400;

    const outcome = await limiter().fail(reservation({ count: 3, windowEnds, level: 2 }));

    const lockEnds = NOW + 900 * 4; // windowSeconds × 2^level
    expect(updates()).toContainEqual({
      TableName: TABLE,
      Key: { pk: 'MEMBER#M1' },
      UpdateExpression: 'SET #e = :lockEnds, #x = :expires ADD #l :one',
      ConditionExpression: '#e = :counted',
      ExpressionAttributeNames: { '#e': 'windowEnds', '#l': 'level', '#x': 'expiresAt' },
      ExpressionAttributeValues: {
        ':lockEnds': lockEnds,
        ':expires': lockEnds + LEVEL_MEMORY_SECONDS,
        ':one': 1,
        ':counted': windowEnds,
      },
    });
    expect(updates()).toHaveLength(2); // the lock and the global shard
    expect(outcome).toEqual({
      lockedScopes: ['member'],
      retryAfterSeconds: 900 * 4,
      global: { failures: 10, overThreshold: false },
    });
  });

  test('the lock lost to a new window (condition failed): nothing locked, retry after the counted window', async () => {
    ddb
      .on(UpdateCommand)
      .resolves(counted(1))
      .on(UpdateCommand, { ConditionExpression: '#e = :counted' })
      .rejects(conditionFailed());

    const outcome = await limiter().fail(reservation({ count: 3, windowEnds: NOW + 400, level: 0 }));

    expect(outcome.lockedScopes).toEqual(['member']);
    expect(outcome.retryAfterSeconds).toBe(400);
  });

  test('a lock that fails otherwise is thrown', async () => {
    const error = new Error('throttled');
    ddb
      .on(UpdateCommand)
      .resolves(counted(1))
      .on(UpdateCommand, { ConditionExpression: '#e = :counted' })
      .rejects(error);
    await expect(limiter().fail(reservation({ count: 3, windowEnds: NOW + 400, level: 0 }))).rejects.toBe(
      error,
    );
  });

  test('a scope already over its limit is not locked again; retry after its current end', async () => {
    ddb.on(UpdateCommand).resolves(counted(1));

    const outcome = await limiter().fail(
      reservation(
        { count: 5, windowEnds: NOW + 2000, level: 1 },
        { count: 5, windowEnds: NOW + 100, level: 0 },
      ),
    );

    // member is over (5 > 3): no update; line-user uses its last attempt (5 = 5): locked.
    expect(updates().map((input) => input.Key!.pk)).toEqual(expect.arrayContaining(['LINE#U1', 'GLOBAL#5']));
    expect(updates()).toHaveLength(2);
    expect(outcome.lockedScopes).toEqual(['line-user']);
    expect(outcome.retryAfterSeconds).toBe(2000);
  });

  test('a window already at its end still gives at least one second', async () => {
    ddb.on(UpdateCommand).resolves(counted(1));
    const outcome = await limiter().fail(reservation({ count: 4, windowEnds: NOW, level: 0 }));
    expect(outcome.retryAfterSeconds).toBe(1);
  });
});

const refund = (pk: string, windowEnds: number) => ({
  TableName: TABLE,
  Key: { pk },
  UpdateExpression: 'ADD #c :minusOne',
  ConditionExpression: '#e = :counted AND #c > :zero',
  ExpressionAttributeNames: { '#c': 'count', '#e': 'windowEnds' },
  ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0, ':counted': windowEnds },
});

describe('succeed and release', () => {
  const counts = reservation(
    { count: 2, windowEnds: NOW + 100, level: 0 },
    { count: 3, windowEnds: NOW + 200, level: 0 },
    { count: 4, windowEnds: NOW + 300, level: 0 },
  );

  test('success deletes the member counter and refunds the other scopes in their counted windows', async () => {
    ddb.on(UpdateCommand).resolves({}).on(DeleteCommand).resolves({});

    await limiter().succeed(counts);

    expect(ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: TABLE, Key: { pk: 'MEMBER#M1' } },
    ]);
    expect(updates()).toEqual([refund('LINE#U1', NOW + 200), refund('ADDR#203.0.113.7', NOW + 300)]);
  });

  test('release refunds every scope', async () => {
    ddb.on(UpdateCommand).resolves({});
    await limiter().release(counts);
    expect(updates()).toEqual([
      refund('MEMBER#M1', NOW + 100),
      refund('LINE#U1', NOW + 200),
      refund('ADDR#203.0.113.7', NOW + 300),
    ]);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  test('a refund into a window that moved on (condition failed) is skipped quietly', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(limiter().release(counts)).resolves.toBeUndefined();
  });

  test('a refund that fails otherwise is thrown', async () => {
    const error = new Error('throttled');
    ddb
      .on(UpdateCommand)
      .resolves({})
      .on(UpdateCommand, { Key: { pk: 'ADDR#203.0.113.7' } })
      .rejects(error);
    await expect(limiter().release(counts)).rejects.toBe(error);
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
