import { randomUUID } from 'node:crypto';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DeployedEventSource } from './types.js';

/** What an event source needs of a function: run one batch, as Lambda's poller does. */
export interface BatchTarget {
  /** Resolves with the function's result; rejects (or resolves `{ ok: false }`) when it failed. */
  invoke(event: unknown): Promise<{ ok: true; result: unknown } | { ok: false; errorMessage?: string }>;
}

/** A running poller. */
export interface EventSourcePoller {
  /** Waits until everything written so far has been delivered (tests). */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A batch that failed for good: what Lambda tells the mapping's on-failure destination. */
export interface DiscardedBatch {
  /** The stream's ARN (the template's, as the function sees it). */
  source: string;
  shardId: string;
  /** First and last sequence number of the records discarded (from the first failed one on). */
  startSequenceNumber: string;
  endSequenceNumber: string;
  firstArrival?: Date;
  lastArrival?: Date;
  records: number;
  /** Invocations of the batch, the first one included. */
  attempts: number;
  /** `Unhandled` when the function failed, absent when it reported batch item failures. */
  functionError?: 'Unhandled';
  reason: string;
}

/**
 * The message Lambda sends to an SQS on-failure destination of a stream mapping
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html): where the batch
 * is in the stream, so it can be read again while the stream keeps it (24 hours).
 */
export function onFailureRecord(batch: DiscardedBatch, functionArn: string, at: Date) {
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: batch.attempts,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(batch.functionError ? { functionError: batch.functionError } : {}),
    },
    version: '1.0',
    timestamp: at.toISOString(),
    DDBStreamBatchInfo: {
      shardId: batch.shardId,
      startSequenceNumber: batch.startSequenceNumber,
      endSequenceNumber: batch.endSequenceNumber,
      ...(batch.firstArrival ? { approximateArrivalOfFirstRecord: batch.firstArrival.toISOString() } : {}),
      ...(batch.lastArrival ? { approximateArrivalOfLastRecord: batch.lastArrival.toISOString() } : {}),
      batchSize: batch.records,
      streamArn: batch.source,
    },
  };
}

/** Options of {@link startStreamPoller}. */
export interface StreamPollerOptions {
  /** The DynamoDB Local client (the table's real stream ARN comes from DescribeTable). */
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  tableName: string;
  /** The resolved mapping: batch size, ReportBatchItemFailures, starting position. */
  mapping: DeployedEventSource;
  /** The stream ARN the function sees in `eventSourceARN` (the template's, resolved). */
  eventSourceArn: string;
  region: string;
  target: BatchTarget;
  /**
   * MaximumRetryAttempts of the mapping; -1 (Lambda's default) retries until the record expires,
   * which locally means for as long as the poller runs.
   */
  maxRetries?: number;
  onDiscard?: (batch: DiscardedBatch) => void;
  intervalMs?: number;
}

/**
 * Lambda's DynamoDB Streams poller for one mapping: reads every shard of the table's stream
 * (from TRIM_HORIZON or LATEST, as the mapping says), hands the function batches of up to
 * BatchSize records in order, and on a failure retries from the first failed record
 * (ReportBatchItemFailures) until MaximumRetryAttempts, then discards the batch to the
 * on-failure destination. BisectBatchOnFunctionError is not emulated: a failed invocation is
 * retried whole. https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
 */
export async function startStreamPoller(options: StreamPollerOptions): Promise<EventSourcePoller> {
  const table = await options.dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${options.tableName} has no stream, but a mapping reads it.`);
  const iteratorType = options.mapping.startingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON';
  const iterators = new Map<string, string | undefined>();
  /** The sequence number of the last record of each shard delivered (or skipped at a LATEST start). */
  const positions = new Map<string, string | undefined>();
  let started = false;

  const discoverShards = async () => {
    const stream = await options.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || iterators.has(shard.ShardId)) continue;
      const latest = !started && iteratorType === 'LATEST';
      let { ShardIterator } = await options.streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.ShardId,
          // A shard found after the start holds only new records: read it whole. LATEST is
          // taken as TRIM_HORIZON read to its end: DynamoDB Local's LATEST iterator of a shard
          // without records fails every read (TrimmedDataAccessException).
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      while (latest && ShardIterator) {
        const page = await options.streams.send(new GetRecordsCommand({ ShardIterator, Limit: 1000 }));
        if (!page.Records?.length) break;
        ShardIterator = page.NextShardIterator;
        positions.set(shard.ShardId, page.Records[page.Records.length - 1]!.dynamodb?.SequenceNumber);
      }
      iterators.set(shard.ShardId, ShardIterator);
    }
  };

  const maxRetries = options.maxRetries ?? -1;
  const deliver = async (shardId: string, records: StreamRecord[]) => {
    let pending = records;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const event = { Records: pending.map((record) => toLambdaRecord(record, options)) };
      const outcome = await options.target.invoke(event).catch((error: Error) => ({
        ok: false as const,
        errorMessage: error.message,
      }));
      let failedFrom: number;
      if (outcome.ok) {
        const failures = (outcome.result as { batchItemFailures?: Array<{ itemIdentifier: string }> } | null)
          ?.batchItemFailures;
        if (!options.mapping.reportBatchItemFailures || !failures?.length) return;
        // Lambda checkpoints at the lowest sequence number reported; an identifier that names
        // no record of the batch fails the whole batch.
        const indexes = failures.map((failure) =>
          pending.findIndex((record) => record.dynamodb?.SequenceNumber === failure.itemIdentifier),
        );
        failedFrom = indexes.includes(-1) ? 0 : Math.min(...indexes);
      } else failedFrom = 0;
      pending = pending.slice(failedFrom);
      if (maxRetries >= 0 && attempt >= maxRetries) {
        const first = pending[0]!.dynamodb;
        const last = pending[pending.length - 1]!.dynamodb;
        options.onDiscard?.({
          source: options.eventSourceArn,
          shardId,
          startSequenceNumber: first?.SequenceNumber ?? '',
          endSequenceNumber: last?.SequenceNumber ?? '',
          ...(first?.ApproximateCreationDateTime
            ? { firstArrival: new Date(first.ApproximateCreationDateTime) }
            : {}),
          ...(last?.ApproximateCreationDateTime
            ? { lastArrival: new Date(last.ApproximateCreationDateTime) }
            : {}),
          records: pending.length,
          attempts: attempt + 1,
          ...(outcome.ok ? {} : { functionError: 'Unhandled' as const }),
          reason: outcome.ok ? 'batch item failures' : (outcome.errorMessage ?? 'function error'),
        });
        return;
      }
    }
  };

  const pollOnce = async () => {
    await discoverShards();
    let delivered = 0;
    for (const [shardId, iterator] of iterators) {
      if (!iterator) continue;
      const page = await options.streams
        .send(new GetRecordsCommand({ ShardIterator: iterator, Limit: options.mapping.batchSize }))
        .catch(async (error: Error) => {
          // DynamoDB Local hands out a next iterator it then refuses
          // (TrimmedDataAccessException) after a read of a shard without records: read again
          // from just after the last record seen (or from the start when none was).
          if (error.name !== 'TrimmedDataAccessException') throw error;
          const last = positions.get(shardId);
          const { ShardIterator } = await options.streams.send(
            new GetShardIteratorCommand({
              StreamArn: streamArn,
              ShardId: shardId,
              ...(last
                ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: last }
                : { ShardIteratorType: 'TRIM_HORIZON' }),
            }),
          );
          return options.streams.send(
            new GetRecordsCommand({ ShardIterator, Limit: options.mapping.batchSize }),
          );
        });
      iterators.set(shardId, page.NextShardIterator);
      if (page.Records?.length) {
        delivered += page.Records.length;
        await deliver(shardId, page.Records);
        positions.set(shardId, page.Records[page.Records.length - 1]!.dynamodb?.SequenceNumber);
      }
    }
    return delivered;
  };

  // The starting position is taken when the mapping is made, as Lambda does: a LATEST iterator
  // taken at the first poll would skip what was written in between.
  await discoverShards();
  started = true;
  return pollLoop(pollOnce, options.intervalMs ?? 200);
}

/** A DynamoDB Streams record as Lambda hands it to a function (epoch seconds, source ARN). */
export function toLambdaRecord(
  record: StreamRecord,
  options: Pick<StreamPollerOptions, 'region' | 'eventSourceArn'>,
) {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: options.region,
    dynamodb: {
      ...dynamodb,
      ApproximateCreationDateTime: Math.floor(
        (ApproximateCreationDateTime ? new Date(ApproximateCreationDateTime).getTime() : Date.now()) / 1000,
      ),
    },
    eventSourceARN: options.eventSourceArn,
  };
}

/**
 * The queue side the SQS poller needs (the local AWS endpoint's queues): messages received as the
 * records of an `SQSEvent` (hidden for the visibility timeout), and deleting them by receipt handle.
 */
export interface QueueSource {
  receive(max: number): Promise<Array<{ messageId: string; receiptHandle: string }>>;
  delete(receiptHandles: string[]): void | Promise<void>;
}

/** Options of {@link startQueuePoller}. */
export interface QueuePollerOptions {
  queue: QueueSource;
  mapping: DeployedEventSource;
  target: BatchTarget;
  intervalMs?: number;
}

/**
 * Lambda's SQS poller for one mapping: receives up to BatchSize messages, invokes the function,
 * deletes what succeeded (all on success; all but the reported ones with
 * ReportBatchItemFailures), and leaves the rest to reappear after the visibility timeout.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
export function startQueuePoller(options: QueuePollerOptions): EventSourcePoller {
  const pollOnce = async (): Promise<number> => {
    const messages = await options.queue.receive(options.mapping.batchSize);
    if (messages.length === 0) return 0;
    const event = { Records: messages };
    const outcome = await options.target.invoke(event).catch(() => ({ ok: false as const }));
    if (!outcome.ok) return messages.length;
    const reported = options.mapping.reportBatchItemFailures
      ? ((outcome.result as { batchItemFailures?: Array<{ itemIdentifier: string }> } | null)
          ?.batchItemFailures ?? [])
      : [];
    const failed = new Set(reported.map((failure) => failure.itemIdentifier));
    // An identifier that names no message of the batch fails the whole batch: nothing is deleted.
    if ([...failed].some((id) => !messages.some((message) => message.messageId === id)))
      return messages.length;
    await options.queue.delete(
      messages.filter((message) => !failed.has(message.messageId)).map((message) => message.receiptHandle),
    );
    return messages.length;
  };

  return pollLoop(pollOnce, options.intervalMs ?? 100);
}

/**
 * Runs `pollOnce` every `intervalMs`, never two at a time (a shard iterator or a received
 * message is handed to one poll only); `drain` polls until two polls in a row found nothing.
 */
function pollLoop(pollOnce: () => Promise<number>, intervalMs: number): EventSourcePoller {
  let chain: Promise<number> = Promise.resolve(0);
  let pending = 0;
  const serial = () => {
    pending++;
    chain = chain.then(
      () => pollOnce().catch(() => 0),
      () => 0,
    );
    void chain.finally(() => pending--);
    return chain;
  };
  let closed = false;
  const timer = setInterval(() => {
    if (!closed && pending === 0) void serial();
  }, intervalMs);
  return {
    drain: async (timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      let empty = 0;
      while (empty < 2 && Date.now() < deadline) empty = (await serial()) === 0 ? empty + 1 : 0;
    },
    close: async () => {
      closed = true;
      clearInterval(timer);
      await chain;
    },
  };
}
