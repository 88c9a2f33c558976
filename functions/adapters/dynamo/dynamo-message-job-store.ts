import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  MEMBER_SEND_STATUSES,
  summarize,
  type LineMessage,
  type MemberSendResult,
  type MemberSendStatus,
} from '../../core/member-messages.js';
import type { JobBatchRef, MessageJob } from '../../core/member-messages.js';
import { IdempotencyKeyInProgressError } from '../../core/errors.js';
import type { IdempotencyClaimRef, MessageJobStore } from '../../core/ports/index.js';
import { putInBatches } from './dynamo-batch-put.js';
import { idempotencyAnswerUpdate } from './dynamo-idempotency-store.js';

/** Job records expire a week after the job started (DynamoDB TTL). */
const JOB_TTL_SECONDS = 7 * 24 * 3600;
/** Batches per page of the report (20 × 500 = 10,000 members). */
const BATCHES_PER_PAGE = 20;

const jobKey = (jobId: string) => `JOB#${jobId}`;
const batchKey = (batch: number) => `BATCH#${String(batch).padStart(6, '0')}`;
/** Counter attribute of each status (`not-linked` is no attribute name). */
const COUNTER: Record<MemberSendStatus, string> = {
  sent: 'sent',
  'not-linked': 'notLinked',
  'not-friend': 'notFriend',
  failed: 'failed',
};

/**
 * Message jobs in DynamoDB, one partition per job:
 *
 * | sk | attributes |
 * |---|---|
 * | `META` | `createdAt`, `actor`, `messages` (JSON), `total`, `batches`, `batchesDone` and one counter per status |
 * | `BATCH#000042` | `companyUserIds`, `done`, `results` (JSON `[[companyUserId, status], …]` once done) |
 *
 * A batch completes with one transaction: its results (conditional on it not being done yet) and
 * the job's counters, so a batch delivered twice by the queue is counted once. Everything
 * expires after a week. A job started under an `Idempotency-Key` is recorded as the key's answer
 * in the transaction that writes its `META` (the key's records: dynamo-idempotency-store.ts).
 */
export class DynamoMessageJobStore implements MessageJobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: Parameters<MessageJobStore['create']>[0], claim?: IdempotencyClaimRef): Promise<void> {
    const expiresAt = Math.floor(Date.parse(job.createdAt) / 1000) + JOB_TTL_SECONDS;
    const pk = jobKey(job.jobId);
    const items = job.batches.map((ids, batch) => ({
      pk,
      sk: batchKey(batch),
      companyUserIds: [...ids],
      done: false,
      expiresAt,
    }));
    await putInBatches(this.client, this.tableName, items);
    const total = job.batches.reduce((n, b) => n + b.length, 0);
    const meta = {
      TableName: this.tableName,
      Item: {
        pk,
        sk: 'META',
        jobId: job.jobId,
        createdAt: job.createdAt,
        actor: job.actor,
        messages: JSON.stringify(job.messages),
        total,
        batches: job.batches.length,
        batchesDone: 0,
        sent: 0,
        notLinked: 0,
        notFriend: 0,
        failed: 0,
        expiresAt,
      },
      // A new job; or this same write again (the SDK retrying it after a lost answer), before
      // any batch was queued and so before any could be done.
      ConditionExpression: 'attribute_not_exists(pk) OR (jobId = :jobId AND batchesDone = :zero)',
      ExpressionAttributeValues: { ':jobId': job.jobId, ':zero': 0 },
    };
    if (!claim) {
      await this.client.send(new PutCommand(meta));
      return;
    }
    const answer = idempotencyAnswerUpdate(this.tableName, claim, {
      kind: 'job',
      job: { jobId: job.jobId, createdAt: job.createdAt, total, batches: job.batches.length },
    });
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [{ Put: meta }, answer],
          // The same token on the SDK's own retries: a transaction already applied succeeds again.
          ClientRequestToken: claim.owner,
        }),
      );
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed'
      )
        // Another attempt took the key over (this one outlived its lease): it creates the job.
        throw new IdempotencyKeyInProgressError(1, { cause: error });
      throw error;
    }
  }

  async get(jobId: string): Promise<MessageJob | undefined> {
    const meta = (
      await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: jobKey(jobId), sk: 'META' },
          ConsistentRead: true,
        }),
      )
    ).Item;
    if (!meta) return undefined;
    const num = (name: string) => (typeof meta[name] === 'number' ? (meta[name] as number) : 0);
    return {
      jobId,
      status: num('batchesDone') >= num('batches') ? 'done' : 'running',
      createdAt: String(meta.createdAt),
      total: num('total'),
      batches: num('batches'),
      batchesDone: num('batchesDone'),
      counts: Object.fromEntries(MEMBER_SEND_STATUSES.map((s) => [s, num(COUNTER[s])])) as Record<
        MemberSendStatus,
        number
      >,
    };
  }

  async batch(ref: JobBatchRef) {
    const [meta, batch] = await Promise.all(
      ['META', batchKey(ref.batch)].map(
        async (sk) =>
          (
            await this.client.send(
              new GetCommand({
                TableName: this.tableName,
                Key: { pk: jobKey(ref.jobId), sk },
                ConsistentRead: true,
              }),
            )
          ).Item,
      ),
    );
    if (!meta || !batch) return undefined;
    return {
      messages: JSON.parse(String(meta.messages)) as LineMessage[],
      companyUserIds: (batch.companyUserIds as string[]) ?? [],
      done: batch.done === true,
    };
  }

  async completeBatch(ref: JobBatchRef, results: readonly MemberSendResult[]): Promise<boolean> {
    const counts = summarize(results);
    const pk = jobKey(ref.jobId);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: { pk, sk: batchKey(ref.batch) },
                UpdateExpression: 'SET done = :true, results = :results',
                ConditionExpression: 'done = :false',
                ExpressionAttributeValues: {
                  ':true': true,
                  ':false': false,
                  ':results': JSON.stringify(results.map((r) => [r.companyUserId, r.status])),
                },
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: { pk, sk: 'META' },
                UpdateExpression:
                  'ADD batchesDone :one, sent :sent, notLinked :notLinked, notFriend :notFriend, failed :failed',
                ExpressionAttributeValues: {
                  ':one': 1,
                  ':sent': counts.sent,
                  ':notLinked': counts['not-linked'],
                  ':notFriend': counts['not-friend'],
                  ':failed': counts.failed,
                },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      )
        return false;
      throw error;
    }
  }

  async results(jobId: string, fromBatch: number) {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': jobKey(jobId),
          ':from': batchKey(fromBatch),
          ':to': batchKey(fromBatch + BATCHES_PER_PAGE - 1),
        },
        ConsistentRead: true,
      }),
    );
    const items = page.Items ?? [];
    const results: MemberSendResult[] = [];
    for (const item of items) {
      if (item.done !== true || typeof item.results !== 'string') continue;
      for (const [companyUserId, status] of JSON.parse(item.results) as Array<[string, MemberSendStatus]>)
        results.push({ companyUserId, status });
    }
    const more = items.length === BATCHES_PER_PAGE;
    return more ? { results, nextBatch: fromBatch + BATCHES_PER_PAGE } : { results };
  }
}
