import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { LinkItemChange } from '../../core/link-events.js';

const KINDS: ReadonlySet<string> = new Set(['INSERT', 'MODIFY', 'REMOVE']);

/**
 * The item change a DynamoDB Streams record carries (the links table's stream, NEW_AND_OLD_IMAGES),
 * its images unmarshalled from DynamoDB's attribute values.
 * @throws Error naming what is missing when the record can never be read (no event ID, an unknown
 *   event name, no image, no creation time, attribute values that do not unmarshal).
 */
export function linkItemChangeOf(record: DynamoDBRecord): LinkItemChange {
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
