import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUDIENCE_WORKER } from '../../functions/manifest/functions.js';
import type { FunctionWiring } from '../function-wiring.js';
import type { ServiceFunction } from './service-function.js';
import { workerQueues } from './worker-queues.js';

export interface AudienceJobsProps {
  /** Creates the worker from its manifest entry and connects the queue to the route and the worker. */
  readonly functions: FunctionWiring;
}

/**
 * Audience jobs that survive a Lambda timeout: a queue of job references and the worker that runs
 * them chunk by chunk (a run near its timeout queues its job again). A run that fails becomes
 * visible again after 6 × the worker's timeout and goes on from the job's first chunk not done;
 * after 5 receives it goes to the dead-letter queue.
 */
export class AudienceJobs extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: ServiceFunction;

  constructor(scope: Construct, id: string, props: AudienceJobsProps) {
    super(scope, id);
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workerQueues(this, {
      queueId: 'Jobs',
      workerTimeout: Duration.seconds(AUDIENCE_WORKER.sizing.timeoutSeconds),
      maxReceiveCount: 5,
      deadLettersOf: 'the audience jobs',
    }));
    this.worker = props.functions.create(this, 'Worker', AUDIENCE_WORKER);
    this.worker.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: 2 }),
    );
    props.functions.provide({ kind: 'queue', key: AUDIENCE_WORKER.trigger.queue, queue: this.queue });
  }
}
