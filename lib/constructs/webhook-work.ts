import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WEBHOOK_WORKER } from '../../functions/manifest/functions.js';
import type { FunctionWiring } from '../function-wiring.js';
import type { ServiceFunction } from './service-function.js';
import { workerQueues } from './worker-queues.js';

export interface WebhookWorkProps {
  /** Creates the worker from its manifest entry and connects the queue to the webhook. */
  readonly functions: FunctionWiring;
}

/**
 * The webhook's LINE work after the answer (LINE's webhook deadline never waits on LINE's own
 * APIs): a queue of work, one message per applied event that asked for a reply or a link token,
 * and the worker that does it once (functions/handlers/webhook-work-sqs.ts).
 *
 * Sized for a reply token's short life (LINE accepts a reply only shortly after the event,
 * https://developers.line.biz/en/reference/messaging-api/#send-reply-message): work that failed
 * (LINE 5xx or timing out) is visible again after the visibility timeout (6 × the worker's
 * timeout, as AWS recommends for SQS event sources, so a slow run is never handed out twice) and
 * is tried 3 times in all, then kept in the dead-letter queue for an operator. Retrying longer
 * would only meet an expired reply token. Small batches: one slow call to LINE holds up no more
 * than a few replies; a bounded concurrency, so a burst of follows after a broadcast does not
 * take the account's whole Lambda concurrency (work waits in the queue instead).
 */
export class WebhookWork extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: ServiceFunction;

  constructor(scope: Construct, id: string, props: WebhookWorkProps) {
    super(scope, id);
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workerQueues(this, {
      queueId: 'Queue',
      workerTimeout: Duration.seconds(WEBHOOK_WORKER.sizing.timeoutSeconds),
      maxReceiveCount: 3,
      deadLettersOf: 'the webhook work',
    }));
    this.worker = props.functions.create(this, 'Worker', WEBHOOK_WORKER);
    this.worker.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 5, reportBatchItemFailures: true, maxConcurrency: 10 }),
    );
    props.functions.provide({ kind: 'queue', key: WEBHOOK_WORKER.trigger.queue, queue: this.queue });
  }
}
