/**
 * Domain types of the Messaging API side of the service: the webhook of the LINE
 * Official Account (reachability from follow / unfollow) and LINE's own account-link flow
 * (pattern 4, https://developers.line.biz/en/docs/messaging-api/linking-accounts/).
 * Its ports are in `ports/messaging.ts`.
 */

import type { BotTexts } from './bot-texts.js';

/** One webhook event as the use case needs it (already signature-checked and parsed). */
export type WebhookEvent =
  | { type: 'follow'; common: EventCommon; replyToken?: string }
  | { type: 'unfollow'; common: EventCommon }
  | { type: 'message'; common: EventCommon; replyToken?: string; text?: string }
  | { type: 'postback'; common: EventCommon; replyToken?: string; data: string }
  | {
      type: 'accountLink';
      common: EventCommon;
      replyToken?: string;
      result: 'ok' | 'failed' | string;
      nonce: string;
    }
  | { type: 'other'; common: EventCommon };

/** What every event carries. */
export interface EventCommon {
  /** LINE's ID of the event; the same on a redelivery. */
  webhookEventId: string;
  /** When the event happened, epoch milliseconds (LINE's `timestamp`). */
  timestamp: number;
  /** The LINE user the event is about; absent for group / room sources. */
  userId?: string;
}

/** One pending account link: the company user proved at the company IdP, waiting for LINE's event. */
export interface AccountLinkNonce {
  nonce: string;
  companyUserId: string;
  /**
   * The LINE user whose link token started the flow (learned from the link token the bot
   * issued, never from the browser): only that user's `accountLink` event may use the nonce.
   */
  lineUserId: string;
  /** Epoch seconds; unusable from then on. */
  expiresAt: number;
}

/**
 * LINE work a webhook event asks for (a link token, a reply). It runs after the webhook has
 * answered, from a queue, so LINE's 2 s deadline never depends on LINE's own APIs; the event's
 * record remembers it until it is done, so it is done once.
 */
export type WebhookReplyWork =
  | {
      /** Issue a link token for the user and reply with the linking URL (pattern 4). */
      kind: 'offer-link';
      webhookEventId: string;
      lineUserId: string;
      replyToken: string;
    }
  | {
      /** Reply with these messages. */
      kind: 'reply';
      webhookEventId: string;
      replyToken: string;
      messages: BotMessage[];
    };

/**
 * A webhook event's record: written in the same transaction as the event's effects, so that an
 * event is either applied with its record or not at all (DESIGN.md, "Faults and replays").
 */
export interface WebhookEventClaim {
  webhookEventId: string;
  /** Epoch seconds: how long the event ID is remembered (LINE redelivers within that time). */
  expiresAt: number;
  /** What became of the event; a redelivery answers with it. */
  outcome: string;
  /** LINE work the event asked for, done after the answer; kept until it is done. */
  work?: WebhookReplyWork;
}

/** A claim as stored, with whether its LINE work was done. */
export interface StoredWebhookEventClaim extends WebhookEventClaim {
  workDone: boolean;
}

/**
 * A guard of a link's transaction found the webhook event already applied by an earlier
 * delivery (not by an earlier attempt of the same call, which counts as this call's success).
 * Flow control between the repository and the webhook use case; never reaches a client.
 */
export class WebhookEventAppliedError extends Error {
  constructor(
    readonly claim: StoredWebhookEventClaim,
    options?: { cause?: unknown },
  ) {
    super('The webhook event was already applied.', options);
    this.name = 'WebhookEventAppliedError';
  }
}

/**
 * A guard of a link's transaction found the account-link nonce gone, expired, used or bound to
 * another LINE user since it was read. Flow control; never reaches a client.
 */
export class NonceUnavailableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('The account-link nonce is no longer usable.', options);
    this.name = 'NonceUnavailableError';
  }
}

/** A message the bot sends (a subset of the Messaging API's message objects). */
export type BotMessage =
  | { type: 'text'; text: string; quickReply?: QuickReply }
  | {
      type: 'template';
      altText: string;
      template: {
        type: 'buttons';
        text: string;
        actions: Array<{ type: 'uri'; label: string; uri: string }>;
      };
    };

/**
 * Buttons shown above the keyboard with a message, gone once the user sends anything
 * (https://developers.line.biz/en/reference/messaging-api/#quick-reply): here postback actions
 * only (label ≤ 20 characters, data ≤ 300; `displayText` is what the chat shows as the user's message).
 */
export interface QuickReply {
  items: Array<{
    type: 'action';
    action: { type: 'postback'; label: string; data: string; displayText?: string };
  }>;
}

/**
 * The answer to the bot's "unlink?" question, as its quick-reply postback carries it. It names
 * the link asked about (its `linkedAt`) and when it was asked, so that a "yes" can only remove
 * that very link, and only for {@link UNLINK_CONFIRMATION_SECONDS} after the question: a tap on
 * an old question, or one asked before the user unlinked and linked again, changes nothing.
 */
export interface UnlinkAnswer {
  answer: 'yes' | 'no';
  /** The `linkedAt` of the link the question was about (ISO 8601). */
  linkedAt: string;
  /** When the question was asked: the asking event's `timestamp` (epoch milliseconds). */
  askedAt: number;
}

/** How long after the question a "yes" is accepted: 10 minutes. */
export const UNLINK_CONFIRMATION_SECONDS = 600;

const UNLINK_ANSWER_ACTION = 'line-id-link-unlink';

/** The postback `data` of an unlink answer (a query string, well under LINE's 300 characters). */
export function unlinkAnswerData(answer: UnlinkAnswer): string {
  return new URLSearchParams({
    action: UNLINK_ANSWER_ACTION,
    answer: answer.answer,
    linkedAt: answer.linkedAt,
    askedAt: String(answer.askedAt),
  }).toString();
}

/** The unlink answer a postback `data` carries; undefined for any other data. */
export function parseUnlinkAnswer(data: string): UnlinkAnswer | undefined {
  const params = new URLSearchParams(data);
  if (params.get('action') !== UNLINK_ANSWER_ACTION) return undefined;
  const answer = params.get('answer');
  const linkedAt = params.get('linkedAt');
  const askedAt = Number(params.get('askedAt'));
  if ((answer !== 'yes' && answer !== 'no') || !linkedAt || !Number.isSafeInteger(askedAt)) return undefined;
  return { answer, linkedAt, askedAt };
}

/** Settings of the bot's behaviour. */
export interface MessagingSettings {
  /**
   * `{PUBLIC_BASE_URL}/account-link/start`; undefined where pattern 4 is not deployed: then no
   * follow, keyword or postback is answered with a linking URL.
   */
  accountLinkStartUrl?: string;
  /** Text messages (trimmed, case-insensitive) that ask for the linking URL; empty: none. */
  linkKeywords: readonly string[];
  /** Postback `data` values that ask for the linking URL; empty: none. */
  linkPostbackData: readonly string[];
  /** Text messages (trimmed, case-insensitive) that ask to unlink; empty: none. */
  unlinkKeywords: readonly string[];
  /** Postback `data` values that ask to unlink; empty: none. */
  unlinkPostbackData: readonly string[];
  /** What the bot says. */
  texts: BotTexts;
  /** Whether an unfollow also removes the link (default false: keep it, mark it unreachable). */
  unlinkOnUnfollow: boolean;
  /** How long a processed `webhookEventId` is remembered, seconds. */
  webhookEventTtlSeconds: number;
  /** Lifetime of an account-link nonce, seconds. */
  nonceTtlSeconds: number;
}

/**
 * Random bytes of an account-link nonce: 192 bits. LINE asks for a nonce that is hard to predict,
 * at least 128 bits, base64url-encoded, 10 to 255 characters
 * (https://developers.line.biz/en/docs/messaging-api/linking-accounts/).
 */
export const NONCE_BYTES = 24;

/** What a nonce we issued looks like (32 base64url characters); anything else is unknown. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/** What a LINE link token looks like as far as we check it before using it. */
export const LINK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{8,255}$/;
