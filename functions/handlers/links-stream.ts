import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EventBridgeLinkEventPublisher } from '../adapters/events/eventbridge-link-event-publisher.js';
import { loadLinkEventBusName } from '../config.js';
import { toLinkEvent, type LinkItemChange } from '../core/link-events.js';
import { errorFields } from '../observability/error-fields.js';
import { logger } from '../observability/logger.js';
import { countMetric } from '../observability/metrics.js';

// A PutEvents that stalls ends well within the function's 20 s timeout, SDK retries included, so
// the failure is this function's to log and report rather than a timeout of the whole batch.
const publisher = new EventBridgeLinkEventPublisher(
  new EventBridgeClient({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 4_000 } }),
  loadLinkEventBusName(),
);

const KINDS: ReadonlySet<string> = new Set(['INSERT', 'MODIFY', 'REMOVE']);

/**
 * DynamoDB Streams (links table, NEW_AND_OLD_IMAGES) → EventBridge: link, unlink and reachability
 * changes, one record after another, in the shard's order.
 *
 * A record whose event is not published (EventBridge fails or refuses it, or anything else goes
 * wrong with it) is logged with its identifiers and reported as the batch's first failure: by
 * Lambda's rules (ReportBatchItemFailures) the batch is retried from that record on, so order holds
 * and nothing after it is skipped; the mapping bounds the retries and sends what still fails to its
 * on-failure destination (lib/constructs/link-events.ts). A record that can never be read (no
 * event ID, no images, an unknown event name, attribute values that do not unmarshal) would fail every retry
 * and hold up the shard: it is logged and skipped.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    const ids = { eventID: record.eventID, sequenceNumber: record.dynamodb?.SequenceNumber };
    let change: LinkItemChange;
    try {
      change = readChange(record);
    } catch (error) {
      logger.error('link stream record skipped: it cannot be read', { ...ids, error: errorFields(error) });
      countMetric('LinkStreamRecordsSkipped');
      continue;
    }
    try {
      const linkEvent = toLinkEvent(change);
      if (linkEvent) await publisher.publish([linkEvent]);
    } catch (error) {
      logger.error('link event not published: the batch is retried from this record', {
        ...ids,
        eventName: record.eventName,
        error: errorFields(error),
      });
      countMetric('LinkEventsNotPublished');
      // Without a sequence number there is nothing to report: the whole batch fails.
      if (!ids.sequenceNumber) throw error;
      return { batchItemFailures: [{ itemIdentifier: ids.sequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
}

/** The item change a stream record carries; throws when the record is malformed. */
function readChange(record: DynamoDBRecord): LinkItemChange {
  if (!record.eventID) throw new Error("The record has no eventID (the events' idempotency key).");
  const kind = record.eventName;
  if (!kind || !KINDS.has(kind)) throw new Error(`Unknown stream event name ${String(kind)}.`);
  const image = (value: unknown) =>
    value === undefined ? undefined : unmarshall(value as Record<string, AttributeValue>);
  const oldItem = image(record.dynamodb?.OldImage);
  const newItem = image(record.dynamodb?.NewImage);
  if (!oldItem && !newItem)
    throw new Error('The record has no image (the stream must be NEW_AND_OLD_IMAGES).');
  const seconds = record.dynamodb?.ApproximateCreationDateTime;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds))
    throw new Error('The record has no ApproximateCreationDateTime.');
  return {
    eventId: record.eventID,
    kind: kind as LinkItemChange['kind'],
    at: new Date(seconds * 1000).toISOString(),
    oldItem,
    newItem,
  };
}
