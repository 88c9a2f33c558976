import { booleanAttribute, stringAttribute, type PlainItem } from './item-attribute.js';

/**
 * The newest known friendship of a LINE user (`FRIEND#<id>` in the `messaging` table), shared
 * by the two adapters that write it: the friendship store (webhook events, LINE's friendship
 * status API) and the link repository (a new link takes it over in its own transaction).
 */

/** Partition key of a LINE user's friendship in the `messaging` table. */
export const friendKey = (lineUserId: string) => `FRIEND#${lineUserId}`;

/** A friendship state as stored: `friend` as of `at` (ISO 8601, UTC). */
export interface StoredFriendship {
  friend: boolean;
  at: string;
}

/**
 * Newest wins: the condition under which `:at` replaces the stored state. Stored times are all
 * `toISOString()` (UTC, fixed width), so string order is time order.
 */
export const NEWER_FRIENDSHIP = '(attribute_not_exists(friendUpdatedAt) OR friendUpdatedAt < :at)';

/** The UpdateItem (plain or in a transaction) that sets `friend` as of `at` under `condition`. */
export function friendshipUpdate(
  table: string,
  pk: string,
  state: StoredFriendship,
  condition: string,
): {
  TableName: string;
  Key: { pk: string };
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  return {
    TableName: table,
    Key: { pk },
    UpdateExpression: 'SET friend = :friend, friendUpdatedAt = :at',
    ConditionExpression: condition,
    ExpressionAttributeValues: { ':friend': state.friend, ':at': state.at },
  };
}

/** The state a stored item holds; undefined when it holds none (absent, or never learned). */
export function storedFriendship(item: PlainItem | undefined): StoredFriendship | undefined {
  if (!item) return undefined;
  const friend = booleanAttribute(item, 'friend');
  const at = stringAttribute(item, 'friendUpdatedAt');
  return friend === undefined || at === undefined ? undefined : { friend, at };
}
