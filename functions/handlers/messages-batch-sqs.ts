import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { MulticastSender } from '../core/ports/index.js';
import { runMessageBatch, type RunMessageBatchPorts } from '../core/use-cases/message-jobs.js';
import { errorFields } from '../observability/error-fields.js';
import { invocationLogging, logger } from '../observability/logger.js';
import { countMetric } from '../observability/metrics.js';
import { jobBatchRefOf, runSqsMessages } from './sqs/sqs-messages.js';

/**
 * The message job worker (SQS → Lambda, ReportBatchItemFailures): each message is one batch of a
 * job. A batch that throws is logged with the message, job and batch, and reported failed by its
 * message ID: the queue delivers it again after the visibility timeout with the same retry key, so
 * LINE delivers it once. A body that is not a batch reference can never succeed: it is logged and
 * reported too, and the queue's maxReceiveCount moves it to the dead-letter queue
 * (lib/constructs/message-jobs.ts), where it stays for an operator to read. A multicast LINE
 * keeps refusing within the run is logged with its batch; its members are reported `failed`.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export function createMessagesBatchSqsHandler(wired: RunMessageBatchPorts) {
  /** The message and batch being run, for the log lines of what happens inside the run. */
  let running: { messageId: string; jobId: string; batch: number } | undefined;
  // A multicast that fails for good marks its members `failed` in the job's report and the batch
  // goes on (send-messages.ts): the error itself is logged here, with the batch it belongs to.
  const sender: MulticastSender = {
    multicast: async (to, messages, retryKey) => {
      try {
        await wired.sender.multicast(to, messages, retryKey);
      } catch (error) {
        logger.error('multicast failed for good: its members are reported failed', {
          ...running,
          recipients: to.length,
          error: errorFields(error),
        });
        throw error;
      }
    },
  };
  const ports: RunMessageBatchPorts = { ...wired, sender };

  return middy<SQSEvent, SQSBatchResponse>()
    .use(invocationLogging())
    .handler((event) =>
      runSqsMessages(event, {
        parse: jobBatchRefOf,
        unreadable: (ids, bodyLength) => {
          logger.error(
            'message batch unreadable: not a job batch reference; the dead-letter queue takes it',
            {
              ...ids,
              bodyLength,
            },
          );
          countMetric('MessageBatchFailures');
        },
        run: async (ref, ids) => {
          running = { messageId: ids.messageId, ...ref };
          try {
            await runMessageBatch(ref, ports);
          } finally {
            running = undefined;
          }
        },
        failed: (ref, ids, error) => {
          logger.error('message batch failed: the queue delivers it again', {
            ...ids,
            jobId: ref.jobId,
            batch: ref.batch,
            error: errorFields(error),
          });
          countMetric('MessageBatchFailures');
        },
      }),
    );
}
