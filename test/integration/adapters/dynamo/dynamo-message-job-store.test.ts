import { randomBytes, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoMessageJobStore } from '../../../../functions/adapters/dynamo/dynamo-message-job-store.js';
import type { LineMessage, MemberSendResult } from '../../../../functions/core/member-messages.js';
import { ensureTables, localClient, taggedTableNames } from '../../../../functions/local/dynamodb-local.js';

/**
 * Message jobs against DynamoDB Local: the items each method writes (one partition per job, a
 * `META` item and one item per batch, all expiring a week after the job started) and the
 * conditions the engine evaluates (a job is created once, a batch is counted once). A job created
 * under an Idempotency-Key is tested with the key's records
 * (test/integration/adapters/dynamo/dynamo-idempotency-store.test.ts).
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const tables = taggedTableNames(`jobs-${randomBytes(4).toString('hex')}`);
// In the future, so DynamoDB Local's TTL sweep never removes the job (7 days after it) while a test reads it.
const CREATED_AT = '2096-12-01T09:00:00.000Z';
const EXPIRES_AT = Date.parse(CREATED_AT) / 1000 + 7 * 24 * 3600;
const MESSAGES: LineMessage[] = [{ type: 'text', text: 'Hello' }];

let doc: DynamoDBDocumentClient;
let jobs: DynamoMessageJobStore;

beforeAll(async () => {
  await ensureTables(localClient(endpoint), tables);
  doc = createDocumentClient({ endpoint });
  jobs = new DynamoMessageJobStore(doc, tables.jobs);
});
afterAll(() => doc.destroy());

/** A new job of `sizes[i]` members in batch i. */
function newJob(sizes: readonly number[]) {
  const jobId = randomUUID();
  return {
    jobId,
    createdAt: CREATED_AT,
    actor: 'arn:aws:iam::123456789012:role/crm',
    messages: MESSAGES,
    batches: sizes.map((size, batch) => Array.from({ length: size }, (_, i) => `M-${batch}-${i}`)),
  };
}

/** Every item of the job's partition, in sort key order. */
async function partition(jobId: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tables.jobs,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `JOB#${jobId}` },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const results = (ids: readonly string[], status: MemberSendResult['status']): MemberSendResult[] =>
  ids.map((companyUserId) => ({ companyUserId, status }));

test('create: one META item with zeroed counters and one item per batch, all expiring a week later', async () => {
  // More batches than one BatchWriteItem takes (25).
  const job = newJob([...Array.from({ length: 29 }, () => 2), 1]);
  await jobs.create(job);
  const items = await partition(job.jobId);
  expect(items).toHaveLength(31);
  const batches = items.filter((item) => item.sk !== 'META');
  expect(batches).toEqual(
    job.batches.map((ids, batch) => ({
      pk: `JOB#${job.jobId}`,
      sk: `BATCH#${String(batch).padStart(6, '0')}`,
      companyUserIds: ids,
      done: false,
      expiresAt: EXPIRES_AT,
    })),
  );
  expect(items.find((item) => item.sk === 'META')).toEqual({
    pk: `JOB#${job.jobId}`,
    sk: 'META',
    jobId: job.jobId,
    createdAt: CREATED_AT,
    actor: job.actor,
    messages: JSON.stringify(MESSAGES),
    total: 59,
    batches: 30,
    batchesDone: 0,
    sent: 0,
    notLinked: 0,
    notFriend: 0,
    failed: 0,
    expiresAt: EXPIRES_AT,
  });
});

test('create again: the same job before any batch is done passes (a retry); once a batch is done it is refused', async () => {
  const job = newJob([2, 1]);
  await jobs.create(job);
  await expect(jobs.create(job)).resolves.toBeUndefined();
  expect(await jobs.completeBatch({ jobId: job.jobId, batch: 0 }, results(job.batches[0]!, 'sent'))).toBe(
    true,
  );
  await expect(jobs.create(job)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  expect(await jobs.get(job.jobId)).toMatchObject({ total: 3, batches: 2, batchesDone: 1 });
});

test('get: running until every batch is done, with the counters by status; an unknown job is undefined', async () => {
  const job = newJob([3, 2]);
  await jobs.create(job);
  expect(await jobs.get(job.jobId)).toEqual({
    jobId: job.jobId,
    status: 'running',
    createdAt: CREATED_AT,
    total: 5,
    batches: 2,
    batchesDone: 0,
    counts: { sent: 0, 'not-linked': 0, 'not-friend': 0, failed: 0 },
  });
  const [first, second] = job.batches as [string[], string[]];
  await jobs.completeBatch({ jobId: job.jobId, batch: 0 }, [
    { companyUserId: first[0]!, status: 'sent' },
    { companyUserId: first[1]!, status: 'not-linked' },
    { companyUserId: first[2]!, status: 'not-friend' },
  ]);
  expect(await jobs.get(job.jobId)).toMatchObject({ status: 'running', batchesDone: 1 });
  await jobs.completeBatch({ jobId: job.jobId, batch: 1 }, [
    { companyUserId: second[0]!, status: 'failed' },
    { companyUserId: second[1]!, status: 'sent' },
  ]);
  expect(await jobs.get(job.jobId)).toMatchObject({
    status: 'done',
    batchesDone: 2,
    counts: { sent: 2, 'not-linked': 1, 'not-friend': 1, failed: 1 },
  });
  expect(await jobs.get(randomUUID())).toBeUndefined();
});

test("batch: the job's messages, the batch's members and whether it is done; unknown job or batch is undefined", async () => {
  const job = newJob([2, 1]);
  await jobs.create(job);
  expect(await jobs.batch({ jobId: job.jobId, batch: 1 })).toEqual({
    messages: MESSAGES,
    companyUserIds: job.batches[1],
    done: false,
  });
  await jobs.completeBatch({ jobId: job.jobId, batch: 1 }, results(job.batches[1]!, 'sent'));
  expect(await jobs.batch({ jobId: job.jobId, batch: 1 })).toMatchObject({ done: true });
  expect(await jobs.batch({ jobId: job.jobId, batch: 2 })).toBeUndefined();
  expect(await jobs.batch({ jobId: randomUUID(), batch: 0 })).toBeUndefined();
});

test('completeBatch: results and counters in one transaction, counted once however often the batch is delivered', async () => {
  const job = newJob([2]);
  await jobs.create(job);
  const ref = { jobId: job.jobId, batch: 0 };
  const first = results(job.batches[0]!, 'sent');
  expect(await jobs.completeBatch(ref, first)).toBe(true);
  // The queue delivers the batch again: nothing changes, not even the stored results.
  expect(await jobs.completeBatch(ref, results(job.batches[0]!, 'failed'))).toBe(false);
  const items = await partition(job.jobId);
  expect(items.find((item) => item.sk === 'BATCH#000000')).toMatchObject({
    done: true,
    results: JSON.stringify(first.map((r) => [r.companyUserId, r.status])),
  });
  expect(items.find((item) => item.sk === 'META')).toMatchObject({
    batchesDone: 1,
    sent: 2,
    notLinked: 0,
    notFriend: 0,
    failed: 0,
  });
});

test('completeBatch of a batch the job does not have writes nothing', async () => {
  const job = newJob([1]);
  await jobs.create(job);
  expect(await jobs.completeBatch({ jobId: job.jobId, batch: 5 }, results(['M-x'], 'sent'))).toBe(false);
  const items = await partition(job.jobId);
  expect(items.map((item) => item.sk)).toEqual(['BATCH#000000', 'META']);
  expect(items.find((item) => item.sk === 'META')).toMatchObject({ batchesDone: 0, sent: 0 });
});

test('results: the done batches of a page of 20, in batch order, and where the next page starts', async () => {
  const job = newJob(Array.from({ length: 23 }, () => 1));
  await jobs.create(job);
  const status = (batch: number) => (batch % 2 === 0 ? 'sent' : 'not-friend');
  for (const batch of [0, 1, 2, 5, 19, 20, 22])
    await jobs.completeBatch({ jobId: job.jobId, batch }, results(job.batches[batch]!, status(batch)));
  const page = (batches: number[]) =>
    batches.map((batch) => ({ companyUserId: `M-${batch}-0`, status: status(batch) }));
  expect(await jobs.results(job.jobId, 0)).toEqual({ results: page([0, 1, 2, 5, 19]), nextBatch: 20 });
  expect(await jobs.results(job.jobId, 20)).toEqual({ results: page([20, 22]) });
  expect(await jobs.results(randomUUID(), 0)).toEqual({ results: [] });
});
