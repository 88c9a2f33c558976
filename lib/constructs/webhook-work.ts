import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WEBHOOK_WORKER } from '../../functions/manifest/routes.js';
import { ServiceFunction } from './service-function.js';
import { workerQueues } from './worker-queues.js';
import type { ServiceTable } from './service-table.js';

export interface WebhookWorkProps {
  /** The worker's handler file (functions/handlers/webhook-work-sqs.ts). */
  readonly entry: string;
  readonly messagingTable: ServiceTable;
  readonly messagingSecret: ISecret;
  readonly environment: Record<string, string>;
  /** X-Ray active tracing (TRACING_ENABLED). */
  readonly tracing: boolean;
  readonly logRetention: RetentionDays;
}

/** The worker's timeout: a channel access token, a link token and a reply, each with the outbound timeout. */
export const WEBHOOK_WORKER_TIMEOUT = Duration.seconds(30);

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
    const timeout = WEBHOOK_WORKER_TIMEOUT;
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workerQueues(this, {
      queueId: 'Queue',
      workerTimeout: timeout,
      maxReceiveCount: 3,
      deadLettersOf: 'the webhook work',
    }));
    this.worker = new ServiceFunction(this, 'Worker', {
      entry: props.entry,
      description: 'line-id-link webhook worker (replies, link tokens)',
      memorySize: 512,
      timeout,
      environment: props.environment,
      logRetention: props.logRetention,
      tracing: props.tracing,
    })
      .useTable(props.messagingTable, WEBHOOK_WORKER.tables.find((t) => t.table === 'messaging')!.actions)
      .useSecret('LINE_MESSAGING_CHANNEL_SECRET', props.messagingSecret);
    this.worker.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 5, reportBatchItemFailures: true, maxConcurrency: 10 }),
    );
  }
}
