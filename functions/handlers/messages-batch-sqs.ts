import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { JobBatchRef } from '../core/messages.js';
import { runMessageBatch } from '../core/use-cases/message-jobs.js';
import { logger } from '../observability/logger.js';
import { messageBatchPorts } from './wiring.js';

const ports = messageBatchPorts();

/**
 * The message job worker (SQS → Lambda, ReportBatchItemFailures): each message is one batch of a
 * job. A batch that throws is reported failed and comes back after the visibility timeout; its
 * retry key is the same, so LINE delivers it once.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const ref = JSON.parse(record.body) as JobBatchRef;
      await runMessageBatch(ref, ports);
    } catch (error) {
      logger.error('message batch failed', { error: error instanceof Error ? error.name : 'unknown' });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
