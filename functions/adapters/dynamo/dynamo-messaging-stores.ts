import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccountLinkNonce } from '../../core/messaging.js';
import type {
  AccountLinkNonceStore,
  FriendshipStore,
  FriendshipUpdate,
  WebhookEventLog,
} from '../../core/ports/index.js';
import { lineKey } from './dynamo-link-repository.js';
import { friendKey, friendshipUpdate, NEWER_FRIENDSHIP } from './friendship-item.js';
import { numberAttribute, stringAttribute } from './item-attribute.js';

/** Partition keys of the `messaging` table (friendships: `friendKey`, friendship-item.ts). */
export const eventKey = (webhookEventId: string) => `EVENT#${webhookEventId}`;
export const nonceKey = (nonce: string) => `NONCE#${nonce}`;

/**
 * Processed webhook event IDs in the `messaging` table (`EVENT#<webhookEventId>`, TTL
 * `expiresAt`). A claim is one conditional PutItem: DynamoDB lets exactly one of any number of
 * concurrent claims through. An expired claim that DynamoDB has not yet removed counts as gone.
 */
export class DynamoWebhookEventLog implements WebhookEventLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async claim(webhookEventId: string, expiresAt: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: eventKey(webhookEventId), expiresAt },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': Math.floor(this.now().getTime() / 1000) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(webhookEventId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: eventKey(webhookEventId) } }),
    );
  }
}

/**
 * Account-link nonces in the `messaging` table (`NONCE#<nonce>` with the company user ID, TTL
 * `expiresAt`). {@link consume} is one conditional DeleteItem returning the deleted item
 * (ALL_OLD): of concurrent consumers exactly one gets it, and an expired nonce is never returned
 * even before DynamoDB's TTL removes it.
 */
export class DynamoAccountLinkNonceStore implements AccountLinkNonceStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(nonce: AccountLinkNonce): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: nonceKey(nonce.nonce), companyUserId: nonce.companyUserId, expiresAt: nonce.expiresAt },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async consume(nonce: string, now: Date): Promise<AccountLinkNonce | undefined> {
    try {
      const result = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: nonceKey(nonce) },
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const item = result.Attributes;
      const companyUserId = item ? stringAttribute(item, 'companyUserId') : undefined;
      const expiresAt = item ? numberAttribute(item, 'expiresAt') : undefined;
      if (!companyUserId || expiresAt === undefined) return undefined;
      return { nonce, companyUserId, expiresAt };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

/**
 * Friendship (reachability) of LINE users. The newest known state of every user who ever
 * followed or blocked the Official Account is kept in the `messaging` table (`FRIEND#<id>`), and
 * copied onto the LINE side of their link (`friend`, `friendUpdatedAt` on `LINE#<id>` in the links
 * table) when they have one; a link made later takes it over in its own transaction
 * (DynamoLinkRepository.create). Both writes are UpdateItems conditional on the stored time being
 * older, so a late, older event never overrides a newer one, whatever the order of arrival.
 */
export class DynamoFriendshipStore implements FriendshipStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: { messaging: string; links: string },
  ) {}

  async record(lineUserId: string, friend: boolean, at: string): Promise<FriendshipUpdate> {
    const updated = await this.newer(this.tables.messaging, friendKey(lineUserId), friend, at, false);
    if (!updated) return 'stale';
    await this.newer(this.tables.links, lineKey(lineUserId), friend, at, true);
    return 'updated';
  }

  /** Sets friend/friendUpdatedAt when `at` is newer than the stored time; false when it was not. */
  private async newer(
    table: string,
    pk: string,
    friend: boolean,
    at: string,
    mustExist: boolean,
  ): Promise<boolean> {
    const condition = mustExist ? `attribute_exists(pk) AND ${NEWER_FRIENDSHIP}` : NEWER_FRIENDSHIP;
    try {
      await this.client.send(new UpdateCommand(friendshipUpdate(table, pk, { friend, at }, condition)));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
