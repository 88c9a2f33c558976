import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { linkItemChangeOf } from '../../adapters/dynamo/dynamo-stream-record.js';
import { toLinkEvent, type LinkEvent, type LinkItemChange } from '../../core/link-events.js';
import { errorFields } from '../../observability/error-fields.js';
import { logger } from '../../observability/logger.js';
import { countMetric, type BusinessMetric } from '../../observability/metrics.js';

/** What the stream's logs name a record by: never its images, which hold the user IDs. */
export interface StreamRecordIds {
  eventID: string | undefined;
  sequenceNumber: string | undefined;
}

/** How one reader of the links table's stream treats a link change (see {@link runLinkStream}). */
export interface LinkStreamSteps {
  /** Log message and metric of a record that can never be read (it is skipped). */
  unreadable: { message: string; metric: BusinessMetric };
  /** Log message and metric of a change whose `run` threw (the batch is retried from it). */
  failed: { message: string; metric: BusinessMetric };
  /** Does the reader's work for one link event; a throw retries the batch from this record. */
  run(linkEvent: LinkEvent, change: LinkItemChange, ids: StreamRecordIds): Promise<void>;
}

/**
 * One batch of the links table's stream (NEW_AND_OLD_IMAGES) with ReportBatchItemFailures, the
 * way each of its readers treats it: records one after another, in the shard's order, each
 * turned into a link event (functions/core/link-events.ts; records that are no link event are
 * passed over).
 *
 * A record whose work fails is logged with its identifiers and reported as the batch's first
 * failure: by Lambda's rules the batch is retried from that record on, so order holds and nothing
 * after it is skipped; the mapping bounds the retries and sends what still fails to its
 * on-failure destination. A record that can never be read (no event ID, no images, an unknown
 * event name, attribute values that do not unmarshal) would fail every retry and hold up the
 * shard: it is logged and skipped. Without a sequence number to report, a failure fails the
 * whole invocation, which Lambda logs and retries (bisecting the batch).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 */
export async function runLinkStream(
  event: DynamoDBStreamEvent,
  steps: LinkStreamSteps,
): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    const ids: StreamRecordIds = { eventID: record.eventID, sequenceNumber: record.dynamodb?.SequenceNumber };
    let change: LinkItemChange;
    try {
      change = linkItemChangeOf(record);
    } catch (error) {
      logger.error(steps.unreadable.message, { ...ids, error: errorFields(error) });
      countMetric(steps.unreadable.metric);
      continue;
    }
    const linkEvent = toLinkEvent(change);
    if (!linkEvent) continue;
    try {
      await steps.run(linkEvent, change, ids);
    } catch (error) {
      logger.error(steps.failed.message, {
        ...ids,
        eventName: record.eventName,
        type: linkEvent.type,
        error: errorFields(error),
      });
      countMetric(steps.failed.metric);
      if (!ids.sequenceNumber) throw error;
      return { batchItemFailures: [{ itemIdentifier: ids.sequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
}
