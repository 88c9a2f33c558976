import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { JobBatchRef } from '../../core/member-messages.js';

/** What a worker's logs name a message by: never its body, which may carry tokens. */
export interface SqsMessageIds {
  messageId: string;
  /** How many times the queue has delivered it (ApproximateReceiveCount). */
  receiveCount: number | undefined;
}

/** How one worker reads and runs its messages (see {@link runSqsMessages}). */
export interface SqsMessageSteps<T> {
  /** The work a body carries, or undefined when it is not one (checked before anything runs). */
  parse(body: string): T | undefined;
  /** Logs a body that is not work; it is reported failed, so the dead-letter queue takes it. */
  unreadable(ids: SqsMessageIds, bodyLength: number): void;
  /** Does the work; a throw reports the message failed, so the queue delivers it again. */
  run(work: T, ids: SqsMessageIds): Promise<void>;
  /** Logs a run that threw. */
  failed(work: T, ids: SqsMessageIds, error: unknown): void;
}

/**
 * One SQS batch with ReportBatchItemFailures, the way both queue workers treat it: messages run
 * one after another, and each that is unreadable or fails is reported by its message ID, alone,
 * so the rest of the batch is deleted and only it comes back (or, after the queue's
 * maxReceiveCount, goes to the dead-letter queue).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export async function runSqsMessages<T>(
  event: SQSEvent,
  steps: SqsMessageSteps<T>,
): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const ids: SqsMessageIds = {
      messageId: record.messageId,
      receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 0) || undefined,
    };
    const work = steps.parse(record.body);
    if (work === undefined) {
      steps.unreadable(ids, record.body.length);
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      await steps.run(work, ids);
    } catch (error) {
      steps.failed(work, ids, error);
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/** The job batch reference a message carries (`{"jobId":"…","batch":n}`), or undefined. */
export function jobBatchRefOf(body: string): JobBatchRef | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  const { jobId, batch } = (value ?? {}) as Partial<Record<keyof JobBatchRef, unknown>>;
  return typeof jobId === 'string' &&
    jobId.length > 0 &&
    Number.isSafeInteger(batch) &&
    (batch as number) >= 0
    ? { jobId, batch: batch as number }
    : undefined;
}
