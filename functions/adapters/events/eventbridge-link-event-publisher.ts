import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { LinkEvent } from '../../core/link-events.js';
import type { LinkEventPublisher } from '../../core/ports/index.js';

/** `source` of every event this service puts on the bus. */
export const LINK_EVENT_SOURCE = 'line-id-link';

/** EventBridge `detail-type` of each event type (what rules match on). */
export const DETAIL_TYPES: Record<LinkEvent['type'], string> = {
  'link.created': 'Link Created',
  'link.removed': 'Link Removed',
  'link.reachability-changed': 'Link Reachability Changed',
};

/**
 * Link events on an EventBridge bus, 10 entries per PutEvents (its limit). An entry EventBridge
 * refuses fails the call, so the stream batch is retried (consumers dedupe on
 * `detail.idempotencyKey`, the stream record's event ID).
 */
export class EventBridgeLinkEventPublisher implements LinkEventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: readonly LinkEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      const chunk = events.slice(i, i + 10);
      const result = await this.client.send(
        new PutEventsCommand({
          Entries: chunk.map((event) => ({
            EventBusName: this.busName,
            Source: LINK_EVENT_SOURCE,
            DetailType: DETAIL_TYPES[event.type],
            Time: new Date(event.at),
            Detail: JSON.stringify(event),
          })),
        }),
      );
      if (result.FailedEntryCount)
        throw new Error(`EventBridge refused ${result.FailedEntryCount} link event(s).`);
    }
  }
}
