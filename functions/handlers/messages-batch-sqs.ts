import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { JobBatchRef } from '../core/messages.js';
import { runMessageBatch } from '../core/use-cases/message-jobs.js';
import { errorFields } from '../observability/error-fields.js';
import { logger } from '../observability/logger.js';
import { countMetric } from '../observability/metrics.js';
import { messageBatchPorts } from './wiring.js';

const ports = messageBatchPorts();

/**
 * The message job worker (SQS → Lambda, ReportBatchItemFailures): each message is one batch of a
 * job. A batch that throws is logged with the message, job and batch, and reported failed by its
 * message ID: the queue delivers it again after the visibility timeout with the same retry key, so
 * LINE delivers it once. A body that is not a batch reference can never succeed: it is logged and
 * reported too, and the queue's maxReceiveCount moves it to the dead-letter queue
 * (lib/constructs/message-jobs.ts), where it stays for an operator to read.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const ids = {
      messageId: record.messageId,
      receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 0) || undefined,
    };
    const ref = batchRefOf(record.body);
    if (!ref) {
      logger.error('message batch unreadable: not a job batch reference; the dead-letter queue takes it', {
        ...ids,
        bodyLength: record.body.length,
      });
      countMetric('MessageBatchFailures');
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      await runMessageBatch(ref, ports);
    } catch (error) {
      logger.error('message batch failed: the queue delivers it again', {
        ...ids,
        jobId: ref.jobId,
        batch: ref.batch,
        error: errorFields(error),
      });
      countMetric('MessageBatchFailures');
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/** The batch reference a message carries (`{"jobId":"…","batch":n}`), or undefined. */
function batchRefOf(body: string): JobBatchRef | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  const { jobId, batch } = (value ?? {}) as Partial<Record<keyof JobBatchRef, unknown>>;
  return typeof jobId === 'string' &&
    jobId.length > 0 &&
    Number.isSafeInteger(batch) &&
    (batch as number) >= 0
    ? { jobId, batch: batch as number }
    : undefined;
}
