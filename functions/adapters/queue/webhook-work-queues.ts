import type { SQSClient } from '@aws-sdk/client-sqs';
import type { WebhookReplyWork } from '../../core/webhook-events.js';
import type { WebhookWorkQueue } from '../../core/ports/index.js';
import { sendInBatches } from './sqs-batches.js';

/**
 * The webhook's LINE work on an SQS queue (10 messages per SendMessageBatch), done by the
 * webhook worker function after the webhook answered. A message sent twice (the SDK's retry, a
 * redelivered webhook queueing unfinished work again) is harmless: the worker does each event's
 * work once (run-webhook-work.ts).
 */
export class SqsWebhookWorkQueue implements WebhookWorkQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(work: readonly WebhookReplyWork[]): Promise<void> {
    await sendInBatches(
      this.client,
      this.queueUrl,
      work.map((item) => JSON.stringify(item)),
      'webhook work',
    );
  }
}

/**
 * The local stand-in for the queue: the work runs in this process after the webhook answered,
 * one piece after another, like the worker would.
 */
export class InProcessWebhookWorkQueue implements WebhookWorkQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly run: (work: WebhookReplyWork) => Promise<unknown>,
    private readonly onError: (error: unknown, work: WebhookReplyWork) => void = (error) =>
      console.error(error),
  ) {}

  async enqueue(work: readonly WebhookReplyWork[]): Promise<void> {
    for (const item of work) {
      this.tail = this.tail.then(() =>
        this.run(item).then(
          () => undefined,
          (error: unknown) => this.onError(error, item),
        ),
      );
    }
  }

  /** Resolves when everything queued so far has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.tail;
  }
}
