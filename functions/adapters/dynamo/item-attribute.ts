import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** An item as the document client returns it: plain JavaScript values. */
export type PlainItem = Record<string, unknown>;

/**
 * The old item that a ConditionalCheckFailedException or a transaction's cancellation reason
 * carries (ReturnValuesOnConditionCheckFailure) as a plain item. The document client unmarshalls
 * command outputs only, never errors, so these arrive as raw AttributeValues.
 */
export function oldItem(raw: Record<string, AttributeValue> | undefined): PlainItem | undefined {
  return raw ? unmarshall(raw) : undefined;
}

/** A string attribute of a plain item; undefined when absent or of another type. */
export function stringAttribute(item: PlainItem, name: string): string | undefined {
  const value = item[name];
  return typeof value === 'string' ? value : undefined;
}

/** A number attribute of a plain item; undefined when absent or of another type. */
export function numberAttribute(item: PlainItem, name: string): number | undefined {
  const value = item[name];
  return typeof value === 'number' ? value : undefined;
}

/** A boolean attribute of a plain item; undefined when absent or of another type. */
export function booleanAttribute(item: PlainItem, name: string): boolean | undefined {
  const value = item[name];
  return typeof value === 'boolean' ? value : undefined;
}
