import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DynamoAttemptLimiter } from '../../../../functions/adapters/dynamo/dynamo-attempt-limiter.js';
import {
  createDocumentClient,
  DYNAMO_CALL_DEFAULTS,
  dynamoCallBudgetMs,
} from '../../../../functions/adapters/dynamo/dynamo-client.js';
import type { AttemptLimits } from '../../../../functions/core/attempt-policy.js';
import { StorageUnavailableError } from '../../../../functions/core/errors.js';
import type { AttemptKeys } from '../../../../functions/core/ports/index.js';
import { ensureTables, localClient, taggedTableNames } from '../../../../functions/local/dynamodb-local.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../../support/dynamo-fault-proxy.js';

/**
 * What the DynamoDB client and the attempt counters do when DynamoDB misbehaves, against
 * DynamoDB Local behind the fault proxy (faults at the HTTP level; nothing of the SDK is mocked):
 * a stall ends within the documented budget, a fault that outlasts the SDK's retries becomes
 * `storage-unavailable` while a refused condition stays what it is, and the counters count a
 * lost answer once and move together or not at all.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const suffix = randomBytes(4).toString('hex');
const tables = taggedTableNames(`faults-${suffix}`);
const limits: AttemptLimits = {
  perMember: 5,
  perLineUser: 10,
  perAddress: 20,
  global: 1000,
  globalShards: 4,
  windowSeconds: 900,
};

let proxy: DynamoFaultProxy;
let doc: DynamoDBDocumentClient;
let limiter: DynamoAttemptLimiter;
let n = 0;

beforeAll(async () => {
  const setup = localClient(endpoint);
  await ensureTables(setup, tables);
  setup.destroy();
  proxy = await startDynamoFaultProxy(endpoint);
  // The settings for DynamoDB itself: the budget under test is theirs, not a local engine's.
  doc = createDocumentClient({ endpoint: proxy.endpoint, localEngine: false });
  limiter = new DynamoAttemptLimiter(doc, tables.attempts, limits);
});
afterAll(async () => {
  doc.destroy();
  await proxy.close();
});
beforeEach(() => proxy.clear());

/** Keys no other test of this file uses. */
const fresh = (): AttemptKeys => {
  const i = ++n;
  return { memberId: `M-${suffix}-${i}`, lineUserId: `U${suffix}${i}`, sourceIp: `198.51.100.${i}` };
};
const counter = async (pk: string) =>
  (await doc.send(new GetCommand({ TableName: tables.attempts, Key: { pk }, ConsistentRead: true }))).Item;
const counts = async (keys: AttemptKeys) =>
  Promise.all(
    [`MEMBER#${keys.memberId}`, `LINE#${keys.lineUserId}`, `ADDR#${keys.sourceIp}`].map(
      async (pk) => (await counter(pk))?.count as number | undefined,
    ),
  );
const put = (pk: string, condition?: string) =>
  doc.send(
    new PutCommand({
      TableName: tables.messaging,
      Item: { pk },
      ...(condition ? { ConditionExpression: condition } : {}),
    }),
  );
const elapsed = async (run: () => Promise<unknown>) => {
  const started = performance.now();
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
};

describe('the DynamoDB client', () => {
  test('a stalled DynamoDB: every attempt times out, and the call ends within the budget', async () => {
    proxy.inject({ operation: 'GetItem', table: tables.messaging, kind: 'stall', times: Infinity });

    const { error, ms } = await elapsed(() =>
      doc.send(new GetCommand({ TableName: tables.messaging, Key: { pk: 'STALLED' } })),
    );

    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(error).toMatchObject({ code: 'storage-unavailable', retryAfterSeconds: 1 });
    expect((error as Error).cause).toMatchObject({ name: 'TimeoutError' });
    expect(proxy.count({ operation: 'GetItem' })).toBe(DYNAMO_CALL_DEFAULTS.maxAttempts);
    expect(ms).toBeGreaterThanOrEqual(
      DYNAMO_CALL_DEFAULTS.maxAttempts * DYNAMO_CALL_DEFAULTS.requestTimeoutMs - 50,
    );
    expect(ms).toBeLessThanOrEqual(dynamoCallBudgetMs());
    // Well within the 15 s of an API function (lib/api-stack.ts).
    expect(dynamoCallBudgetMs()).toBeLessThanOrEqual(15_000 / 1.5);
  }, 20_000);

  test.each([
    ['throttle', /^ThrottlingException: /],
    ['server-error', /^InternalServerError: /],
    ['reset-before', /socket hang up/], // Node's ECONNRESET
  ] as const)(
    '%s outlasting the retries: storage-unavailable, after every attempt',
    async (kind, cause) => {
      proxy.inject({ operation: 'PutItem', table: tables.messaging, kind, times: Infinity });

      const { error } = await elapsed(() => put(`FAULT-${kind}`));

      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect(String((error as Error).cause)).toMatch(cause);
      expect(proxy.count({ operation: 'PutItem' })).toBe(DYNAMO_CALL_DEFAULTS.maxAttempts);
    },
    15_000,
  );

  test('a fault the retries get past is no error at all', async () => {
    proxy.inject({ operation: 'PutItem', kind: 'server-error', times: DYNAMO_CALL_DEFAULTS.maxAttempts - 1 });
    await expect(put('PASSES')).resolves.toBeDefined();
  });

  test('a refused condition passes through untouched, in an item and in a transaction', async () => {
    await put('TAKEN');
    await expect(put('TAKEN', 'attribute_not_exists(pk)')).rejects.toBeInstanceOf(
      ConditionalCheckFailedException,
    );
    const cancelled = await doc
      .send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tables.messaging,
                Item: { pk: 'TAKEN' },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(cancelled).toBeInstanceOf(TransactionCanceledException);
    expect((cancelled as TransactionCanceledException).CancellationReasons?.[0]?.Code).toBe(
      'ConditionalCheckFailed',
    );
  });
});

describe('the attempt counters', () => {
  test('a lost answer to the counting transaction: the SDK sends it again with its token, and it counts once', async () => {
    const keys = fresh();
    await limiter.reserve(keys);
    proxy.clear();
    proxy.inject({ operation: 'TransactWriteItems', table: tables.attempts, kind: 'reset-after' });

    const reservation = await limiter.reserve(keys);

    const sent = proxy.calls.filter((c) => c.operation === 'TransactWriteItems');
    expect(sent.map((c) => c.fault ?? c.status)).toEqual(['reset-after', 200]);
    expect(sent[0]!.body.ClientRequestToken).toBe(sent[1]!.body.ClientRequestToken);
    expect(reservation.scopes.member.count).toBe(2);
    expect(await counts(keys)).toEqual([2, 2, 2]);
  });

  test('a lost answer to a refund: the attempt is given back once', async () => {
    const keys = fresh();
    await limiter.reserve(keys);
    const second = await limiter.reserve(keys);
    proxy.inject({ operation: 'TransactWriteItems', table: tables.attempts, kind: 'reset-after' });

    await limiter.release(second);

    expect(await counts(keys)).toEqual([1, 1, 1]);
    // Given back is given back: a second release changes nothing either.
    await limiter.release(second);
    expect(await counts(keys)).toEqual([1, 1, 1]);
  });

  test('a counting transaction that fails for good moves no counter at all', async () => {
    const keys = fresh();
    await limiter.reserve(keys);
    proxy.inject({
      operation: 'TransactWriteItems',
      table: tables.attempts,
      kind: 'server-error',
      times: Infinity,
    });

    await expect(limiter.reserve(keys)).rejects.toBeInstanceOf(StorageUnavailableError);

    proxy.clear();
    expect(await counts(keys)).toEqual([1, 1, 1]);
  });

  test('a success whose transaction fails for good keeps every counter as it was', async () => {
    const keys = fresh();
    const reservation = await limiter.reserve(keys);
    proxy.inject({
      operation: 'TransactWriteItems',
      table: tables.attempts,
      kind: 'throttle',
      times: Infinity,
    });

    await expect(limiter.succeed(reservation)).rejects.toBeInstanceOf(StorageUnavailableError);

    proxy.clear();
    expect(await counts(keys)).toEqual([1, 1, 1]);
    await limiter.succeed(reservation);
    expect(await counts(keys)).toEqual([undefined, 0, 0]);
  }, 15_000);

  test('50 parallel attempts on one member: numbered 1…6 exactly, 5 allowed, 50 counted', async () => {
    // Straight to the engine, with a local engine's timeout: DynamoDB Local runs the 50
    // transactions one at a time.
    const local = createDocumentClient({ endpoint });
    const direct = new DynamoAttemptLimiter(local, tables.attempts, limits);
    const shared = fresh();
    const reservations = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        direct.reserve({ ...shared, lineUserId: `${shared.lineUserId}-${i}`, sourceIp: `203.0.113.${i}` }),
      ),
    );
    const numbers = reservations.map((r) => r.scopes.member.count).sort((a, b) => a - b);
    // Numbered up to the limit plus one; beyond it, refused (counted, not numbered).
    expect(numbers.slice(0, limits.perMember + 1)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(numbers.slice(limits.perMember + 1).every((count) => count > limits.perMember)).toBe(true);
    expect(reservations.filter((r) => r.allowed)).toHaveLength(limits.perMember);
    expect((await counter(`MEMBER#${shared.memberId}`))?.count).toBe(50);
    local.destroy();
  }, 60_000);
});
