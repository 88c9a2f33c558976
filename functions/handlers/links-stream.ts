import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { EventBridgeLinkEventPublisher } from '../adapters/events/eventbridge-link-event-publisher.js';
import { loadLinkEventBusName } from '../config.js';
import { toLinkEvent, type LinkEvent } from '../core/link-events.js';

const publisher = new EventBridgeLinkEventPublisher(new EventBridgeClient({}), loadLinkEventBusName());

/**
 * DynamoDB Streams (links table, NEW_AND_OLD_IMAGES) → EventBridge: link, unlink and reachability
 * changes. On a failure the batch is reported from the first unpublished record on
 * (ReportBatchItemFailures), so order holds and nothing is skipped.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    const image = (i: unknown) => (i ? unmarshall(i as Record<string, AttributeValue>) : undefined);
    const change = toLinkEvent({
      eventId: record.eventID ?? '',
      kind: record.eventName as 'INSERT' | 'MODIFY' | 'REMOVE',
      at: new Date((record.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000).toISOString(),
      oldItem: image(record.dynamodb?.OldImage),
      newItem: image(record.dynamodb?.NewImage),
    });
    if (!change) continue;
    try {
      await publisher.publish([change] satisfies LinkEvent[]);
    } catch {
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}
