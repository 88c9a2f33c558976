import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  PutCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import type { LinkGuard, LinkNonceStore } from '../../core/ports/index.js';
import { stringAttribute, type PlainItem } from './item-attribute.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Partition key (sessions table) of a nonce of `POST /links/nonce`: its SHA-256, so the table
 * holds nothing an ID token could be matched with by someone reading it.
 */
export const linkNonceKey = (nonce: string) =>
  `LINKNONCE#${createHash('sha256').update(nonce).digest('base64url')}`;

/**
 * Nonces of `POST /links/nonce` in the sessions table (`LINKNONCE#<sha256>`, TTL `expiresAt`),
 * beside the login sessions they resemble: short-lived, one-time, removed by DynamoDB's TTL.
 * Used up only by the link they serve ({@link linkNonceConsume}, in the link's transaction).
 */
export class DynamoLinkNonceStore implements LinkNonceStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(nonce: { nonce: string; expiresAt: number }): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: linkNonceKey(nonce.nonce), expiresAt: nonce.expiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // 256 random bits never collide; a lost answer's retry finds its own item: already stored.
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }
}

/** What a used nonce records of its link: the pair it linked. */
export const linkNoncePair = (guard: { lineUserId: string; companyUserId: string }) =>
  `${guard.lineUserId} ${guard.companyUserId}`;

/**
 * Uses up a nonce of `POST /links/nonce` as an item of the link's transaction: only while it
 * exists, has not expired at `now` and was never used. It records the pair it links and the
 * call's `attempt`, and a failed condition returns the item, so the repository tells this
 * call's own write after a lost answer (same `attempt`) and a client's retry of the same request
 * (same pair) from a nonce spent elsewhere.
 */
export function linkNonceConsume(
  table: string,
  guard: Extract<LinkGuard, { kind: 'link-nonce' }>,
  attempt: string,
): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: { pk: linkNonceKey(guard.nonce) },
      UpdateExpression: 'SET usedBy = :pair, usedAttempt = :attempt',
      ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND attribute_not_exists(usedBy)',
      ExpressionAttributeValues: {
        ':pair': linkNoncePair(guard),
        ':attempt': attempt,
        ':now': Math.floor(guard.now.getTime() / 1000),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/** How a used nonce's item (returned by a failed {@link linkNonceConsume}) relates to this call. */
export function usedLinkNonce(
  item: PlainItem | undefined,
  guard: Extract<LinkGuard, { kind: 'link-nonce' }>,
  attempt: string,
): 'own-write' | 'same-pair' | 'other' {
  if (!item) return 'other';
  if (stringAttribute(item, 'usedAttempt') === attempt) return 'own-write';
  return stringAttribute(item, 'usedBy') === linkNoncePair(guard) ? 'same-pair' : 'other';
}
