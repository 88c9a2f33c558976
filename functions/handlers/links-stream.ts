import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { LinkEventPublisher } from '../core/ports/index.js';
import { invocationLogging } from '../observability/logger.js';
import { runLinkStream } from './stream/link-stream-records.js';

/** What the links stream function needs. */
export interface LinksStreamDeps {
  /** Where link events go (EventBridge). */
  publisher: LinkEventPublisher;
}

/**
 * DynamoDB Streams (links table, NEW_AND_OLD_IMAGES) → EventBridge: link, unlink and reachability
 * changes, one record after another, in the shard's order.
 *
 * A record whose event is not published (EventBridge fails or refuses it) is the batch's first
 * failure, retried from it ({@link runLinkStream}); what still fails goes to the mapping's
 * on-failure destination (lib/constructs/link-events.ts).
 */
export function createLinksStreamHandler({ publisher }: LinksStreamDeps) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(invocationLogging())
    .handler((event) =>
      runLinkStream(event, {
        unreadable: {
          message: 'link stream record skipped: it cannot be read',
          metric: 'LinkStreamRecordsSkipped',
        },
        failed: {
          message: 'link event not published: the batch is retried from this record',
          metric: 'LinkEventsNotPublished',
        },
        run: (linkEvent) => publisher.publish([linkEvent]),
      }),
    );
}
