import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MESSAGE_WORKER } from '../../functions/manifest/routes.js';
import { ServiceFunction } from './service-function.js';
import { workerQueues } from './worker-queues.js';
import type { ServiceTable } from './service-table.js';

export interface MessageJobsProps {
  /** The worker's handler file (functions/handlers/messages-batch-sqs.ts). */
  readonly entry: string;
  readonly linksTable: ServiceTable;
  readonly jobsTable: ServiceTable;
  readonly messagingSecret: ISecret;
  readonly environment: Record<string, string>;
  /** X-Ray active tracing (TRACING_ENABLED). */
  readonly tracing: boolean;
  readonly logRetention: RetentionDays;
}

/**
 * Large sends as jobs that survive a Lambda timeout: a queue of batches (≤ 500 recipients each)
 * and the worker that sends them. A batch whose run fails or times out becomes visible again
 * (visibility timeout = 6 × the worker's timeout, as AWS recommends) and is retried with the same
 * retry key; after 5 receives it goes to the dead-letter queue.
 */
export class MessageJobs extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: ServiceFunction;

  constructor(scope: Construct, id: string, props: MessageJobsProps) {
    super(scope, id);
    const timeout = Duration.minutes(5);
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workerQueues(this, {
      queueId: 'Batches',
      workerTimeout: timeout,
      maxReceiveCount: 5,
      deadLettersOf: 'the message batches',
    }));
    this.worker = new ServiceFunction(this, 'Worker', {
      entry: props.entry,
      description: 'line-id-link message job worker',
      memorySize: 512,
      timeout,
      environment: props.environment,
      logRetention: props.logRetention,
      tracing: props.tracing,
    })
      .useTable(props.linksTable, MESSAGE_WORKER.tables.find((t) => t.table === 'links')!.actions)
      .useTable(props.jobsTable, MESSAGE_WORKER.tables.find((t) => t.table === 'jobs')!.actions)
      .useSecret('LINE_MESSAGING_CHANNEL_SECRET', props.messagingSecret);
    this.worker.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: 2 }),
    );
  }
}
