import { createHash } from 'node:crypto';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type {
  StoredWebhookEventClaim,
  WebhookEventClaim,
  WebhookReplyWork,
} from '../../core/webhook-events.js';
import { numberAttribute, stringAttribute, type PlainItem } from './item-attribute.js';

/**
 * The `messaging` table's items that a webhook event writes in its transaction, shared by the
 * two adapters that put them there: the webhook event log (every event) and the link repository
 * (the link an `accountLink` makes, with the event's claim and its nonce as guards).
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Partition keys of the `messaging` table (friendships: `friendKey`, friendship-item.ts). */
export const eventKey = (webhookEventId: string) => `EVENT#${webhookEventId}`;
export const nonceKey = (nonce: string) => `NONCE#${nonce}`;

/** Partition key of a link token the bot issued (hashed: the token itself is a credential). */
export const linkTokenKey = (linkToken: string) =>
  `LINKTOKEN#${createHash('sha256').update(linkToken).digest('base64url')}`;

/**
 * The claim of a webhook event as a transaction item: `EVENT#<webhookEventId>` with the
 * event's outcome, its LINE work (until done) and `attempt`, a token of the writing call. The
 * condition lets exactly one of any number of concurrent claims through; an expired claim that
 * DynamoDB's TTL has not removed yet counts as gone. A failed condition returns the stored claim,
 * so a retry of the same call (the SDK's, after a lost answer) knows its own write by `attempt`.
 */
export function webhookClaimPut(
  table: string,
  claim: WebhookEventClaim,
  attempt: string,
  now: Date,
): TransactItem {
  return {
    Put: {
      TableName: table,
      Item: {
        pk: eventKey(claim.webhookEventId),
        expiresAt: claim.expiresAt,
        outcome: claim.outcome,
        attempt,
        ...(claim.work ? { work: JSON.stringify(claim.work) } : {}),
      },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
      ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/** A stored claim read back from its item (plain values); undefined when it is not one. */
export function storedClaim(
  item: PlainItem | undefined,
): (StoredWebhookEventClaim & { attempt?: string }) | undefined {
  if (!item || typeof item.pk !== 'string' || !item.pk.startsWith('EVENT#')) return undefined;
  const expiresAt = numberAttribute(item, 'expiresAt');
  if (expiresAt === undefined) return undefined;
  const work = stringAttribute(item, 'work');
  const attempt = stringAttribute(item, 'attempt');
  return {
    webhookEventId: item.pk.slice('EVENT#'.length),
    expiresAt,
    outcome: stringAttribute(item, 'outcome') ?? 'applied',
    ...(work ? { work: JSON.parse(work) as WebhookReplyWork } : {}),
    workDone: item.workDone === true,
    ...(attempt ? { attempt } : {}),
  };
}

/** A stored claim as the use cases see it (the writing call's token is the adapters' own). */
export function withoutAttempt(
  stored: StoredWebhookEventClaim & { attempt?: string },
): StoredWebhookEventClaim {
  const claim = { ...stored };
  delete claim.attempt;
  return claim;
}

/**
 * Uses up an account-link nonce as a transaction item: deleted only while it exists, has not
 * expired and is bound to `lineUserId`, so a nonce is used once and only by its own LINE user.
 */
export function nonceConsumeDelete(
  table: string,
  nonce: string,
  lineUserId: string,
  now: Date,
): TransactItem {
  return {
    Delete: {
      TableName: table,
      Key: { pk: nonceKey(nonce) },
      ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND lineUserId = :user',
      ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000), ':user': lineUserId },
    },
  };
}
