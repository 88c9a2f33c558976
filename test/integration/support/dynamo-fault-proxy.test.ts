import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../functions/adapters/dynamo/dynamo-client.js';
import { ensureTables, localClient, taggedTableNames } from '../../../functions/local/dynamodb-local.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../support/dynamo-fault-proxy.js';

/** The fault proxy itself: each fault reaches the SDK as AWS's own would. */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const tables = taggedTableNames(`proxy-${randomBytes(4).toString('hex')}`);
let proxy: DynamoFaultProxy;

beforeAll(async () => {
  await ensureTables(localClient(endpoint), tables);
  proxy = await startDynamoFaultProxy(endpoint);
});
afterAll(() => proxy.close());
beforeEach(() => proxy.clear());

const put = (client: ReturnType<typeof createDocumentClient>, pk: string) =>
  client.send(
    new PutCommand({
      TableName: tables.messaging,
      Item: { pk },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );

it('throttling is retried by the SDK, and passes once the fault is spent', async () => {
  const client = createDocumentClient({ endpoint: proxy.endpoint });
  proxy.inject({ operation: 'PutItem', table: tables.messaging, kind: 'throttle', times: 2 });
  await put(client, 'THROTTLED');
  expect(proxy.calls.map((c) => c.fault ?? c.status)).toEqual(['throttle', 'throttle', 200]);
  client.destroy();
});

it('a 500 that outlasts the retries reaches the caller as storage-unavailable, the InternalServerError its cause', async () => {
  const client = createDocumentClient({ endpoint: proxy.endpoint });
  proxy.inject({ operation: 'PutItem', kind: 'server-error', times: Infinity });
  await expect(put(client, 'FAILING')).rejects.toMatchObject({
    code: 'storage-unavailable',
    cause: expect.objectContaining({ name: 'InternalServerError' }),
  });
  expect(proxy.count({ operation: 'PutItem' })).toBeGreaterThan(1);
  client.destroy();
});

it('reset-after applies the write and loses its answer: the retry meets its own write', async () => {
  const client = createDocumentClient({ endpoint: proxy.endpoint });
  proxy.inject({ operation: 'PutItem', kind: 'reset-after' });
  // The first attempt wrote the item; the SDK's retry fails the condition.
  await expect(put(client, 'LOST-ANSWER')).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  const stored = await client.send(
    new GetCommand({ TableName: tables.messaging, Key: { pk: 'LOST-ANSWER' } }),
  );
  expect(stored.Item).toEqual({ pk: 'LOST-ANSWER' });
  client.destroy();
});

it('reset-before never reaches the table; the retry writes once', async () => {
  const client = createDocumentClient({ endpoint: proxy.endpoint });
  proxy.inject({ operation: 'PutItem', kind: 'reset-before' });
  await put(client, 'RESET-BEFORE');
  expect(proxy.calls.map((c) => c.fault ?? c.status)).toEqual(['reset-before', 200]);
  client.destroy();
});

it('a stall holds the answer back for stallMs, then forwards the request', async () => {
  const client = createDocumentClient({ endpoint: proxy.endpoint });
  proxy.inject({ operation: 'PutItem', kind: 'stall', stallMs: 300 });
  const started = Date.now();
  await put(client, 'STALLED');
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  client.destroy();
});
