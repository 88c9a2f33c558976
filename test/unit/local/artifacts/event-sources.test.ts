import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
} from '@aws-sdk/client-dynamodb-streams';
import {
  onFailureRecord,
  startQueuePoller,
  startStreamPoller,
  type BatchTarget,
  type DiscardedBatch,
} from '../../../../functions/local/artifacts/event-sources.js';
import type { DeployedEventSource } from '../../../../functions/local/artifacts/types.js';

/** Lambda's SQS poller against an in-memory queue: what is deleted after each kind of answer. */
const mapping: DeployedEventSource = {
  functionLogicalId: 'Worker',
  source: { kind: 'sqs', queueLogicalId: 'Queue' },
  batchSize: 10,
  reportBatchItemFailures: true,
};

async function oneBatch(answer: BatchTarget['invoke'], options: { report?: boolean } = {}) {
  const messages = ['m1', 'm2', 'm3'].map((id) => ({ messageId: id, receiptHandle: `r-${id}`, body: id }));
  let handed = false;
  const deleted: string[] = [];
  const batches: unknown[] = [];
  const poller = startQueuePoller({
    mapping: { ...mapping, reportBatchItemFailures: options.report ?? true },
    queue: {
      receive: async () => (handed ? [] : ((handed = true), messages)),
      delete: (handles) => void deleted.push(...handles),
    },
    target: { invoke: async (event) => (batches.push(event), answer(event)) },
    intervalMs: 5,
  });
  await poller.drain(2_000);
  await poller.close();
  return { deleted, batches };
}

it('hands the messages over as one SQS event and deletes them all after a success', async () => {
  const { deleted, batches } = await oneBatch(async () => ({ ok: true, result: null }));
  expect(batches).toEqual([
    { Records: expect.arrayContaining([expect.objectContaining({ messageId: 'm2' })]) },
  ]);
  expect(deleted).toEqual(['r-m1', 'r-m2', 'r-m3']);
});

it('keeps the messages the function reports as failed (ReportBatchItemFailures)', async () => {
  const { deleted } = await oneBatch(async () => ({
    ok: true,
    result: { batchItemFailures: [{ itemIdentifier: 'm2' }] },
  }));
  expect(deleted).toEqual(['r-m1', 'r-m3']);
});

it('deletes nothing when a reported identifier names no message of the batch (the whole batch failed)', async () => {
  const { deleted } = await oneBatch(async () => ({
    ok: true,
    result: { batchItemFailures: [{ itemIdentifier: '' }] },
  }));
  expect(deleted).toEqual([]);
});

it('deletes nothing when the function fails, and ignores reports the mapping does not ask for', async () => {
  expect((await oneBatch(async () => ({ ok: false, errorMessage: 'boom' }))).deleted).toEqual([]);
  const unasked = await oneBatch(
    async () => ({ ok: true, result: { batchItemFailures: [{ itemIdentifier: 'm2' }] } }),
    { report: false },
  );
  expect(unasked.deleted).toEqual(['r-m1', 'r-m2', 'r-m3']);
});

/** Lambda's stream poller against a stream of three records in one shard (DynamoDB Local stands aside). */
describe('the stream poller', () => {
  const STREAM = 'arn:aws:dynamodb:ap-northeast-1:123456789012:table/links/stream/2026-01-01T00:00:00.000';
  const records = ['1', '2', '3'].map((n) => ({
    eventID: `event-${n}`,
    eventName: 'INSERT' as const,
    dynamodb: {
      SequenceNumber: n,
      Keys: { pk: { S: `LINE#U${n}` } },
      ApproximateCreationDateTime: new Date(Date.UTC(2026, 0, 1, 0, 0, Number(n))),
    },
  }));
  const streamMapping: DeployedEventSource = {
    functionLogicalId: 'Publisher',
    source: { kind: 'dynamodb-stream', tableLogicalId: 'LinksTable' },
    batchSize: 100,
    reportBatchItemFailures: true,
    startingPosition: 'TRIM_HORIZON',
  };

  /** Runs the poller until it has nothing left; what the function saw and what was discarded. */
  async function run(answer: BatchTarget['invoke'], maxRetries?: number) {
    let read = false;
    const dynamodb = {
      send: async (command: object) => {
        if (command instanceof DescribeTableCommand) return { Table: { LatestStreamArn: 'local-stream' } };
        throw new Error(`unexpected ${command.constructor.name}`);
      },
    } as unknown as DynamoDBClient;
    const streams = {
      send: async (command: object) => {
        if (command instanceof DescribeStreamCommand)
          return { StreamDescription: { Shards: [{ ShardId: 'shard-1' }] } };
        if (command instanceof GetShardIteratorCommand) return { ShardIterator: 'iterator-0' };
        if (command instanceof GetRecordsCommand) {
          const page = read ? [] : records;
          read = true;
          return { Records: page, NextShardIterator: 'iterator-1' };
        }
        throw new Error(`unexpected ${command.constructor.name}`);
      },
    } as unknown as DynamoDBStreamsClient;
    const batches: string[][] = [];
    const discarded: DiscardedBatch[] = [];
    const poller = await startStreamPoller({
      dynamodb,
      streams,
      tableName: 'links',
      mapping: streamMapping,
      eventSourceArn: STREAM,
      region: 'ap-northeast-1',
      target: {
        invoke: async (event) => {
          batches.push((event as { Records: Array<{ eventID: string }> }).Records.map((r) => r.eventID));
          return answer(event);
        },
      },
      maxRetries,
      onDiscard: (batch) => discarded.push(batch),
      intervalMs: 5,
    });
    await poller.drain(2_000);
    await poller.close();
    return { batches, discarded };
  }

  const failing = (sequenceNumber: string) => async () => ({
    ok: true as const,
    result: { batchItemFailures: [{ itemIdentifier: sequenceNumber }] },
  });

  it('retries from the reported record MaximumRetryAttempts times, then discards it and what follows', async () => {
    const { batches, discarded } = await run(failing('2'), 2);
    expect(batches).toEqual([
      ['event-1', 'event-2', 'event-3'],
      ['event-2', 'event-3'],
      ['event-2', 'event-3'],
    ]);
    expect(discarded).toEqual([
      {
        source: STREAM,
        shardId: 'shard-1',
        startSequenceNumber: '2',
        endSequenceNumber: '3',
        firstArrival: records[1]!.dynamodb.ApproximateCreationDateTime,
        lastArrival: records[2]!.dynamodb.ApproximateCreationDateTime,
        records: 2,
        attempts: 3,
        reason: 'batch item failures',
      },
    ]);
    const message = onFailureRecord(
      discarded[0]!,
      'arn:aws:lambda:ap-northeast-1:123456789012:function:p',
      new Date(0),
    );
    expect(message).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200 },
      DDBStreamBatchInfo: {
        shardId: 'shard-1',
        startSequenceNumber: '2',
        endSequenceNumber: '3',
        batchSize: 2,
        streamArn: STREAM,
        approximateArrivalOfFirstRecord: '2026-01-01T00:00:02.000Z',
      },
    });
    expect(message.responseContext).not.toHaveProperty('functionError');
  });

  it('retries a failed invocation whole and marks its discard Unhandled', async () => {
    const { batches, discarded } = await run(async () => ({ ok: false, errorMessage: 'boom' }), 1);
    expect(batches).toEqual([
      ['event-1', 'event-2', 'event-3'],
      ['event-1', 'event-2', 'event-3'],
    ]);
    expect(discarded).toMatchObject([
      { startSequenceNumber: '1', records: 3, functionError: 'Unhandled', reason: 'boom' },
    ]);
  });

  it('with MaximumRetryAttempts -1 (the default) retries until the record goes through', async () => {
    // More failures than any bounded default would allow.
    let failures = 12;
    const { batches, discarded } = await run(async () =>
      failures-- > 0 ? failing('3')() : { ok: true, result: { batchItemFailures: [] } },
    );
    expect(batches).toHaveLength(13);
    expect(batches.slice(1).every((b) => b.join() === 'event-3')).toBe(true);
    expect(discarded).toEqual([]);
  });
});
