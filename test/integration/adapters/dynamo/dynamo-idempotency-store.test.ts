import { randomBytes, randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../../functions/adapters/dynamo/dynamo-client.js';
import {
  DynamoIdempotencyStore,
  idempotencyRecordKey,
} from '../../../../functions/adapters/dynamo/dynamo-idempotency-store.js';
import { DynamoMessageJobStore } from '../../../../functions/adapters/dynamo/dynamo-message-job-store.js';
import { IdempotencyKeyInProgressError } from '../../../../functions/core/errors.js';
import type { IdempotencyClaimRequest } from '../../../../functions/core/ports/index.js';
import { ensureTables, localClient, taggedTableNames } from '../../../../functions/local/dynamodb-local.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../../support/dynamo-fault-proxy.js';

/**
 * Idempotency-Key records against DynamoDB Local, through the fault proxy: the conditions the
 * engine really evaluates, and every write's answer lost once (the SDK sends it again).
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const tables = taggedTableNames(`idem-${randomBytes(4).toString('hex')}`);
// In the future, so DynamoDB Local's TTL sweep never removes what a test wrote with this clock.
const NOW = new Date('2096-12-01T09:00:00.000Z');
const NOW_SEC = NOW.getTime() / 1000;
const SCOPE = 'arn:aws:iam::123456789012:role/crm';

let proxy: DynamoFaultProxy;
let doc: DynamoDBDocumentClient;
let store: DynamoIdempotencyStore;

beforeAll(async () => {
  await ensureTables(localClient(endpoint), tables);
  proxy = await startDynamoFaultProxy(endpoint);
  doc = createDocumentClient({ endpoint: proxy.endpoint });
  store = new DynamoIdempotencyStore(doc, tables.jobs);
});
afterAll(async () => {
  doc.destroy();
  await proxy.close();
});
beforeEach(() => proxy.clear());

function request(overrides: Partial<IdempotencyClaimRequest> = {}): IdempotencyClaimRequest {
  return {
    scope: SCOPE,
    key: `key-${randomUUID()}`,
    owner: randomUUID(),
    fingerprint: 'fp-1',
    operationId: randomUUID(),
    now: NOW,
    leaseUntil: new Date(NOW.getTime() + 60_000),
    expiresAt: new Date(NOW.getTime() + 24 * 3600_000),
    ...overrides,
  };
}

const record = async (scope: string, key: string) =>
  (
    await doc.send(
      new GetCommand({ TableName: tables.jobs, Key: idempotencyRecordKey(scope, key), ConsistentRead: true }),
    )
  ).Item;

const isClaim = (body: Record<string, unknown>) =>
  String((body.Item as { pk?: { S?: string } } | undefined)?.pk?.S).startsWith('IDEMPOTENCY#');

test('a claim is kept 24 hours (TTL expiresAt), keyed by the hashed principal and the key', async () => {
  const first = request({ key: 'a#key with spaces' });
  expect(await store.claim(first)).toEqual({
    outcome: 'claimed',
    operationId: first.operationId,
    resumed: false,
  });
  const item = await record(SCOPE, first.key);
  expect(item).toMatchObject({
    sk: 'IDEMPOTENCY',
    fingerprint: 'fp-1',
    owner: first.owner,
    operationId: first.operationId,
    leaseUntil: NOW_SEC + 60,
    expiresAt: NOW_SEC + 24 * 3600,
    createdAt: NOW.toISOString(),
  });
  expect(item!.pk).toMatch(/^IDEMPOTENCY#[A-Za-z0-9_-]{43}#a#key with spaces$/);
  expect(String(item!.pk)).not.toContain(SCOPE);
});

test('the same key: in progress while leased, the answer once complete, mismatch for another request', async () => {
  const first = request();
  await store.claim(first);
  const second = { ...first, owner: randomUUID(), operationId: randomUUID() };
  expect(await store.claim(second)).toEqual({ outcome: 'in-progress', leaseUntil: first.leaseUntil });
  expect(await store.claim({ ...second, fingerprint: 'fp-2' })).toEqual({ outcome: 'mismatch' });

  expect(await store.complete(first, { kind: 'sent', statuses: ['sent', 'not-linked'] })).toBe(true);
  expect(await store.claim(second)).toEqual({
    outcome: 'completed',
    answer: { kind: 'sent', statuses: ['sent', 'not-linked'] },
  });
  expect(await store.claim({ ...second, fingerprint: 'fp-2' })).toEqual({ outcome: 'mismatch' });
  // Only the owner completes.
  expect(await store.complete(second, { kind: 'sent', statuses: [] })).toBe(false);
});

test("another caller's same key is another record", async () => {
  const first = request();
  await store.claim(first);
  const other = { ...first, scope: 'arn:aws:iam::123456789012:role/other', owner: randomUUID() };
  expect(await store.claim({ ...other, fingerprint: 'fp-other' })).toMatchObject({ outcome: 'claimed' });
});

test('a lapsed lease is taken over with the first operation ID and its partial answer; released → at once', async () => {
  const first = request();
  await store.claim(first);
  const job = { jobId: first.operationId, createdAt: NOW.toISOString(), total: 600, batches: 2 };
  // The first attempt created its job (the answer is recorded with it), then died.
  await doc.send(
    new UpdateCommand({
      TableName: tables.jobs,
      Key: idempotencyRecordKey(SCOPE, first.key),
      UpdateExpression: 'SET answer = :a',
      ExpressionAttributeValues: { ':a': { status: 202, ...job } },
    }),
  );
  const later = new Date(NOW.getTime() + 61_000);
  const retry = request({ key: first.key, now: later, leaseUntil: new Date(later.getTime() + 60_000) });
  expect(await store.claim(retry)).toEqual({
    outcome: 'claimed',
    operationId: first.operationId,
    resumed: true,
    answer: { kind: 'job', job },
  });
  // The first attempt, come back to life, no longer owns the key.
  expect(await store.complete(first, { kind: 'job', job })).toBe(false);

  await store.release(retry);
  const third = request({ key: first.key, owner: randomUUID() });
  expect(await store.claim(third)).toMatchObject({
    outcome: 'claimed',
    resumed: true,
    operationId: first.operationId,
  });
});

test('an expired record (TTL not yet applied) is a free key, whatever it held', async () => {
  const first = request();
  await store.claim(first);
  await store.complete(first, { kind: 'sent', statuses: ['sent'] });
  const dayLater = new Date(NOW.getTime() + 24 * 3600_000);
  const fresh = request({ key: first.key, fingerprint: 'fp-2', now: dayLater });
  expect(await store.claim(fresh)).toEqual({
    outcome: 'claimed',
    operationId: fresh.operationId,
    resumed: false,
  });
});

test.each(['reset-after', 'throttle', 'reset-before'] as const)(
  'the claim PutItem with %s: claimed once, not "in progress" of itself',
  async (kind) => {
    const first = request();
    proxy.inject({ operation: 'PutItem', table: tables.jobs, kind, when: isClaim });
    expect(await store.claim(first)).toEqual({
      outcome: 'claimed',
      operationId: first.operationId,
      resumed: false,
    });
    expect(proxy.count({ operation: 'PutItem', when: isClaim })).toBe(2);
  },
);

test('the take-over UpdateItem and the completion with their answers lost: both recognised as their own', async () => {
  const first = request();
  await store.claim(first);
  const later = new Date(NOW.getTime() + 61_000);
  const retry = request({ key: first.key, now: later, leaseUntil: new Date(later.getTime() + 60_000) });
  proxy.inject({ operation: 'UpdateItem', table: tables.jobs, kind: 'reset-after' });
  expect(await store.claim(retry)).toMatchObject({ outcome: 'claimed', resumed: true });
  proxy.inject({ operation: 'UpdateItem', table: tables.jobs, kind: 'reset-after' });
  expect(await store.complete(retry, { kind: 'sent', statuses: ['sent'] })).toBe(true);
  expect(proxy.count({ operation: 'UpdateItem' })).toBe(4);
  expect(await record(SCOPE, first.key)).toMatchObject({ done: true, owner: retry.owner });
});

test('a job created under a key: META and the answer in one transaction, correct when its answer is lost', async () => {
  const jobs = new DynamoMessageJobStore(doc, tables.jobs);
  const claim = request();
  await store.claim(claim);
  const job = {
    jobId: claim.operationId,
    createdAt: NOW.toISOString(),
    actor: SCOPE,
    messages: [{ type: 'text' as const, text: 'Hi' }],
    batches: [['M1', 'M2'], ['M3']],
  };
  proxy.inject({ operation: 'TransactWriteItems', table: tables.jobs, kind: 'reset-after' });
  await jobs.create(job, claim);
  expect(proxy.count({ operation: 'TransactWriteItems' })).toBe(2);
  expect(await jobs.get(job.jobId)).toMatchObject({ total: 3, batches: 2, batchesDone: 0 });
  expect((await record(SCOPE, claim.key))!.answer).toEqual({
    status: 202,
    jobId: job.jobId,
    createdAt: job.createdAt,
    total: 3,
    batches: 2,
  });

  // Without a key, the META PutItem is as safe under a lost answer.
  proxy.inject({ operation: 'PutItem', table: tables.jobs, kind: 'reset-after' });
  const plain = { ...job, jobId: randomUUID() };
  await jobs.create(plain);
  expect(await jobs.get(plain.jobId)).toMatchObject({ total: 3 });
});

test('a job whose key was taken over is not created: in progress (another attempt creates it)', async () => {
  const jobs = new DynamoMessageJobStore(doc, tables.jobs);
  const claim = request();
  await store.claim(claim);
  const later = new Date(NOW.getTime() + 61_000);
  await store.claim(request({ key: claim.key, now: later, leaseUntil: new Date(later.getTime() + 60_000) }));
  const job = {
    jobId: claim.operationId,
    createdAt: NOW.toISOString(),
    actor: SCOPE,
    messages: [{ type: 'text' as const, text: 'Hi' }],
    batches: [['M1']],
  };
  await expect(jobs.create(job, claim)).rejects.toBeInstanceOf(IdempotencyKeyInProgressError);
  expect(await jobs.get(job.jobId)).toBeUndefined();
});
