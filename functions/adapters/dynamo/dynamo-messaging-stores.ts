import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AccountLinkNonce } from '../../core/webhook-events.js';
import type {
  AccountLinkNonceStore,
  AuditEvent,
  FriendshipStore,
  FriendshipUpdate,
  LinkTokenDirectory,
  StoredWebhookEventClaim,
  WebhookCommitResult,
  WebhookEffect,
  WebhookEventClaim,
  WebhookEventLog,
} from '../../core/ports/index.js';
import { lineKey, unlinkDeletes, type ExtraWrites } from './dynamo-link-repository.js';
import {
  friendKey,
  friendshipUpdate,
  NEWER_FRIENDSHIP,
  storedFriendship,
  type StoredFriendship,
} from './friendship-item.js';
import { numberAttribute, oldItem, stringAttribute } from './item-attribute.js';
import {
  eventKey,
  linkTokenKey,
  nonceConsumeDelete,
  nonceKey,
  storedClaim,
  webhookClaimPut,
  withoutAttempt,
} from './webhook-items.js';

export { eventKey, linkTokenKey, nonceKey } from './webhook-items.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** How the adapters of the messaging table build the writes of a webhook event. */
export interface WebhookWritesOptions {
  /** The `messaging` table (claims, nonces, friendships). */
  messagingTable: string;
  /** The `links` table (the link's `friend`, an unfollow's unlink). */
  linksTable: string;
  /** The audit event of an effect, as a transaction item (DynamoAuditLog.eventWrite). */
  auditWrite: (event: AuditEvent) => TransactItem;
  /** The writes that go with an unlink (the `unlink` audit event; DynamoAuditLog.transactionWrites). */
  linkWrites?: ExtraWrites;
}

/**
 * Webhook events in the `messaging` table (`EVENT#<webhookEventId>`, TTL `expiresAt`), each
 * written by one TransactWriteItems together with the event's effects (friendship, the link's
 * `friend`, an unlink, audit events, a nonce used up): the event is applied with its claim or
 * not at all. Every effect is conditional on the state the use case planned it on; a
 * cancellation for any reason but the claim means "plan again".
 */
export class DynamoWebhookEventLog implements WebhookEventLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: WebhookWritesOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async commit(claim: WebhookEventClaim, effects: readonly WebhookEffect[]): Promise<WebhookCommitResult> {
    const attempt = randomUUID();
    const items = [
      webhookClaimPut(this.options.messagingTable, claim, attempt, this.now()),
      ...effects.flatMap((effect) => this.effectItems(effect)),
    ];
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return { status: 'applied' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') {
        const stored = storedClaim(oldItem(reasons[0].Item));
        // Our own earlier attempt (its answer was lost, the SDK sent it again): it committed.
        if (stored?.attempt === attempt) return { status: 'applied' };
        if (stored) return { status: 'duplicate', claim: withoutAttempt(stored) };
      }
      if (reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict')) {
        return { status: 'changed' };
      }
      throw error;
    }
  }

  async find(webhookEventId: string): Promise<StoredWebhookEventClaim | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.options.messagingTable,
        Key: { pk: eventKey(webhookEventId) },
        ConsistentRead: true,
      }),
    );
    const stored = storedClaim(result.Item);
    if (!stored || stored.expiresAt <= Math.floor(this.now().getTime() / 1000)) return undefined;
    return withoutAttempt(stored);
  }

  async completeWork(webhookEventId: string, outcome: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.messagingTable,
          Key: { pk: eventKey(webhookEventId) },
          // The work (it holds the LINE user ID and the reply token) goes once done.
          UpdateExpression: 'SET workDone = :done, workOutcome = :outcome REMOVE #work',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(workDone)',
          ExpressionAttributeNames: { '#work': 'work' },
          ExpressionAttributeValues: { ':done': true, ':outcome': outcome },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private effectItems(effect: WebhookEffect): TransactItem[] {
    const { messagingTable, linksTable } = this.options;
    switch (effect.kind) {
      case 'friendship': {
        const state = { friend: effect.friend, at: effect.at };
        // Exactly the state that was read is still there (no other event came in between).
        const known =
          effect.knownAt === undefined ? 'attribute_not_exists(friendUpdatedAt)' : 'friendUpdatedAt = :known';
        const friendItem = friendshipUpdate(messagingTable, friendKey(effect.lineUserId), state, known);
        if (effect.knownAt !== undefined) friendItem.ExpressionAttributeValues[':known'] = effect.knownAt;
        // A link removed by the same commit is the unlink effect's to assert.
        if (effect.linkRemoved) return [{ Update: friendItem }];
        return [{ Update: friendItem }, this.linkFriendItem(effect)];
      }
      case 'unlink':
        return [
          ...unlinkDeletes(linksTable, effect.link),
          ...(this.options.linkWrites?.({ type: 'unlink', link: effect.link }) ?? []),
        ];
      case 'audit':
        return [this.options.auditWrite(effect.event)];
      case 'consume-nonce':
        return [nonceConsumeDelete(messagingTable, effect.nonce, effect.lineUserId, effect.now)];
    }
  }

  /** The link's side of a friendship effect: updated, left as it is, or asserted absent. */
  private linkFriendItem(effect: Extract<WebhookEffect, { kind: 'friendship' }>): TransactItem {
    const Key = { pk: lineKey(effect.lineUserId) };
    const TableName = this.options.linksTable;
    const link = effect.link;
    if (!link) {
      // No link: a link made meanwhile takes the friendship over itself, after this commit.
      return { ConditionCheck: { TableName, Key, ConditionExpression: 'attribute_not_exists(pk)' } };
    }
    if (link.friendUpdatedAt !== undefined && link.friendUpdatedAt >= effect.at) {
      return {
        ConditionCheck: {
          TableName,
          Key,
          ConditionExpression: 'companyUserId = :c',
          ExpressionAttributeValues: { ':c': link.companyUserId },
        },
      };
    }
    const update = friendshipUpdate(
      TableName,
      Key.pk,
      { friend: effect.friend, at: effect.at },
      `companyUserId = :c AND ${NEWER_FRIENDSHIP}`,
    );
    update.ExpressionAttributeValues[':c'] = link.companyUserId;
    return { Update: update };
  }
}

/**
 * Account-link nonces in the `messaging` table (`NONCE#<nonce>` with the company user ID, the
 * LINE user it is bound to, TTL `expiresAt`). A nonce is used up by the transaction that links
 * (or refuses) with {@link nonceConsumeDelete}, never on its own, so a failed link leaves it
 * usable for LINE's redelivery.
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
        Item: {
          pk: nonceKey(nonce.nonce),
          companyUserId: nonce.companyUserId,
          lineUserId: nonce.lineUserId,
          expiresAt: nonce.expiresAt,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async find(nonce: string, now: Date): Promise<AccountLinkNonce | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: nonceKey(nonce) }, ConsistentRead: true }),
    );
    const item = result.Item;
    const companyUserId = item ? stringAttribute(item, 'companyUserId') : undefined;
    const lineUserId = item ? stringAttribute(item, 'lineUserId') : undefined;
    const expiresAt = item ? numberAttribute(item, 'expiresAt') : undefined;
    if (!companyUserId || !lineUserId || expiresAt === undefined) return undefined;
    if (!(expiresAt > Math.floor(now.getTime() / 1000))) return undefined;
    return { nonce, companyUserId, lineUserId, expiresAt };
  }
}

/**
 * Link tokens the bot issued (`LINKTOKEN#<SHA-256 of the token>`, TTL `expiresAt`) with the LINE
 * user each was issued for. Only the hash is stored: the token itself lets its holder start the
 * LINE user's account link.
 */
export class DynamoLinkTokenDirectory implements LinkTokenDirectory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(linkToken: string, lineUserId: string, expiresAt: number): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: linkTokenKey(linkToken), lineUserId, expiresAt },
      }),
    );
  }

  async find(linkToken: string, now: Date): Promise<string | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: linkTokenKey(linkToken) },
        ConsistentRead: true,
      }),
    );
    const item = result.Item;
    const expiresAt = item ? numberAttribute(item, 'expiresAt') : undefined;
    if (!item || expiresAt === undefined || !(expiresAt > Math.floor(now.getTime() / 1000))) return undefined;
    return stringAttribute(item, 'lineUserId');
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

  async current(lineUserId: string): Promise<StoredFriendship | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tables.messaging,
        Key: { pk: friendKey(lineUserId) },
        ConsistentRead: true,
      }),
    );
    return storedFriendship(result.Item);
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
