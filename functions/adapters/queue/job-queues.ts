import type { SQSClient } from '@aws-sdk/client-sqs';
import type { JobBatchRef } from '../../core/member-messages.js';
import type { JobQueue } from '../../core/ports/index.js';
import { sendInBatches } from './sqs-batches.js';

/**
 * Job batches on an SQS queue (10 messages per SendMessageBatch). The worker function consumes
 * them; a batch whose run times out becomes visible again and is retried, and after the queue's
 * maxReceiveCount goes to its dead-letter queue.
 */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(batches: readonly JobBatchRef[]): Promise<void> {
    await sendInBatches(
      this.client,
      this.queueUrl,
      batches.map((ref) => JSON.stringify(ref)),
      'job batch',
    );
  }
}

/**
 * The local stand-in for the queue: batches run one after another in this process, in the
 * background (the request that queued them has already answered), like the worker would.
 */
export class InProcessJobQueue implements JobQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly run: (ref: JobBatchRef) => Promise<void>,
    private readonly onError: (error: unknown, ref: JobBatchRef) => void = (error) => console.error(error),
  ) {}

  async enqueue(batches: readonly JobBatchRef[]): Promise<void> {
    for (const ref of batches) {
      this.tail = this.tail.then(() => this.run(ref).catch((error: unknown) => this.onError(error, ref)));
    }
  }

  /** Resolves when everything queued so far has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.tail;
  }
}
