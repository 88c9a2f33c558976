import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Options of {@link workerQueues}. */
export interface WorkerQueuesProps {
  /** Construct ID of the work queue (its logical ID in the template). */
  readonly queueId: string;
  /** The timeout of the function that consumes the queue. */
  readonly workerTimeout: Duration;
  /** Receives of one message before it goes to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** What the dead-letter queue keeps (for cdk-nag's acknowledgement and its readers). */
  readonly deadLettersOf: string;
}

/**
 * A queue of work for a Lambda worker and its dead-letter queue, both encrypted and TLS-only: a
 * message whose run fails becomes visible again after 6 × the worker's timeout (AWS's advice for
 * SQS event sources, so a slow run is never handed out twice) and after `maxReceiveCount`
 * receives waits 14 days in the dead-letter queue for an operator. The two are made in `scope`
 * itself (IDs `DeadLetters` and `queueId`), so the template's logical IDs stay those of the
 * construct that owns them.
 */
export function workerQueues(
  scope: Construct,
  props: WorkerQueuesProps,
): { queue: Queue; deadLetterQueue: Queue } {
  const deadLetterQueue = new Queue(scope, 'DeadLetters', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue of ${props.deadLettersOf}.`,
  });
  const queue = new Queue(scope, props.queueId, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * 6),
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}
