import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MESSAGE_WORKER } from '../../functions/manifest/functions.js';
import type { FunctionWiring } from '../function-wiring.js';
import type { ServiceFunction } from './service-function.js';
import { workerQueues } from './worker-queues.js';

export interface MessageJobsProps {
  /** Creates the worker from its manifest entry and connects the queue to the send route. */
  readonly functions: FunctionWiring;
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
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workerQueues(this, {
      queueId: 'Batches',
      workerTimeout: Duration.seconds(MESSAGE_WORKER.sizing.timeoutSeconds),
      maxReceiveCount: 5,
      deadLettersOf: 'the message batches',
    }));
    this.worker = props.functions.create(this, 'Worker', MESSAGE_WORKER);
    this.worker.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: 2 }),
    );
    props.functions.provide({ kind: 'queue', key: MESSAGE_WORKER.trigger.queue, queue: this.queue });
  }
}
