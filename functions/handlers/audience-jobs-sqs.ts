import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { JobQueue } from '../core/ports/index.js';
import { runAudienceJob, type RunAudienceJobPorts } from '../core/use-cases/audience-jobs.js';
import { errorFields } from '../observability/error-fields.js';
import { invocationLogging, logger } from '../observability/logger.js';
import { countMetric } from '../observability/metrics.js';
import { jobBatchRefOf, runSqsMessages } from './sqs/sqs-messages.js';

/**
 * Time a run keeps in hand when it starts another chunk: one upload with its back-off on 429
 * (up to about 2 minutes) fits in it, so a run never times out in the middle of one.
 */
const CHUNK_MARGIN_MS = 150_000;

/**
 * The audience job worker (SQS → Lambda, ReportBatchItemFailures): each message is a job to run
 * from its first chunk not done ({@link runAudienceJob}). A run near the function's timeout stops
 * between chunks and queues the job again. A run that throws (LINE unavailable after the
 * client's back-off, DynamoDB failing) is logged with the job, noted on it, and reported failed
 * by its message ID: the queue delivers it again after the visibility timeout and the job goes on
 * from where it stopped; after maxReceiveCount it goes to the dead-letter queue
 * (lib/constructs/audience-jobs.ts). A body that is not a job reference can never succeed: it is
 * logged and reported too. Logs name the job, never a member or a LINE user.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export function createAudienceJobsSqsHandler(ports: RunAudienceJobPorts & { queue: JobQueue }) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(invocationLogging())
    .handler((event, context) =>
      runSqsMessages(event, {
        parse: jobBatchRefOf,
        unreadable: (ids, bodyLength) => {
          logger.error(
            'audience job message unreadable: not a job reference; the dead-letter queue takes it',
            {
              ...ids,
              bodyLength,
            },
          );
          countMetric('AudienceJobFailures');
        },
        run: async (ref, ids) => {
          const outcome = await runAudienceJob(
            ref,
            ports,
            () => context.getRemainingTimeInMillis() > CHUNK_MARGIN_MS,
          );
          if (outcome === 'paused') await ports.queue.enqueue([ref]);
          const job = await ports.jobs.get(ref.jobId);
          if (job?.status === 'failed') countMetric('AudienceJobFailures');
          logger.info('audience job run', {
            ...ids,
            jobId: ref.jobId,
            outcome,
            status: job?.status,
            chunksDone: job?.chunksDone,
            chunks: job?.chunks,
          });
        },
        failed: (ref, ids, error) => {
          logger.error('audience job run failed: the queue delivers it again', {
            ...ids,
            jobId: ref.jobId,
            error: errorFields(error),
          });
          countMetric('AudienceJobFailures');
        },
      }),
    );
}
