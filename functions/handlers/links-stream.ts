import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { linkItemChangeOf } from '../adapters/dynamo/dynamo-stream-record.js';
import { toLinkEvent, type LinkItemChange } from '../core/link-events.js';
import type { LinkEventPublisher } from '../core/ports/index.js';
import { errorFields } from '../observability/error-fields.js';
import { invocationLogging, logger } from '../observability/logger.js';
import { countMetric } from '../observability/metrics.js';

/** What the links stream function needs. */
export interface LinksStreamDeps {
  /** Where link events go (EventBridge). */
  publisher: LinkEventPublisher;
}

/**
 * DynamoDB Streams (links table, NEW_AND_OLD_IMAGES) → EventBridge: link, unlink and reachability
 * changes, one record after another, in the shard's order.
 *
 * A record whose event is not published (EventBridge fails or refuses it) is logged with its
 * identifiers and reported as the batch's first failure: by Lambda's rules
 * (ReportBatchItemFailures) the batch is retried from that record on, so order holds and nothing
 * after it is skipped; the mapping bounds the retries and sends what still fails to its on-failure
 * destination (lib/constructs/link-events.ts). A record that can never be read (no event ID, no
 * images, an unknown event name, attribute values that do not unmarshal) would fail every retry
 * and hold up the shard: it is logged and skipped. Anything else that goes wrong is not a
 * record's fault: it fails the invocation, which Lambda logs and retries (bisecting the batch).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 */
export function createLinksStreamHandler({ publisher }: LinksStreamDeps) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(invocationLogging())
    .handler(async (event) => {
      for (const record of event.Records) {
        const ids = { eventID: record.eventID, sequenceNumber: record.dynamodb?.SequenceNumber };
        let change: LinkItemChange;
        try {
          change = linkItemChangeOf(record);
        } catch (error) {
          logger.error('link stream record skipped: it cannot be read', {
            ...ids,
            error: errorFields(error),
          });
          countMetric('LinkStreamRecordsSkipped');
          continue;
        }
        const linkEvent = toLinkEvent(change);
        if (!linkEvent) continue;
        try {
          await publisher.publish([linkEvent]);
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
    });
}
