/**
 * Domain types and ports of the Messaging API side of the service: the webhook of the LINE
 * Official Account (reachability from follow / unfollow) and LINE's own account-link flow
 * (pattern 4, https://developers.line.biz/en/docs/messaging-api/linking-accounts/).
 */

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

/** Remembers which webhook events were applied, so a redelivery is applied only once. */
export interface WebhookEventLog {
  /**
   * Claims `webhookEventId` until `expiresAt` (epoch seconds). Atomic: of any number of
   * concurrent claims exactly one returns true.
   */
  claim(webhookEventId: string, expiresAt: number): Promise<boolean>;
  /** Gives a claim back after the event could not be applied, so LINE's redelivery is applied. */
  release(webhookEventId: string): Promise<void>;
}

/** The outcome of recording a friendship state. */
export type FriendshipUpdate = 'updated' | 'stale';

/**
 * Whether a LINE user has the Official Account as a friend, as learned at a point in time. The
 * store keeps only the newest state: an older one delivered late never overrides it.
 */
export interface FriendshipStore {
  /**
   * Records `friend` as of `at` (ISO 8601) for the LINE user and on their link if there is one.
   * @returns `stale` when a newer state was already known (nothing changed).
   */
  record(lineUserId: string, friend: boolean, at: string): Promise<FriendshipUpdate>;
  /**
   * Copies the newest known state onto the user's link (after a link was created), with the same
   * newer-wins rule, so a link made after a `follow` shows `friend: true`.
   */
  applyToLink(lineUserId: string): Promise<void>;
}

/** One pending account link: the company user proved at the company IdP, waiting for LINE's event. */
export interface AccountLinkNonce {
  nonce: string;
  companyUserId: string;
  /** Epoch seconds; unusable from then on. */
  expiresAt: number;
}

/** Nonces of pattern 4, each consumed at most once. */
export interface AccountLinkNonceStore {
  /** Stores a new nonce (a collision fails rather than overwrites). */
  create(nonce: AccountLinkNonce): Promise<void>;
  /**
   * Removes and returns the nonce when it exists and has not expired at `now`; atomic, so of
   * concurrent consumers exactly one gets it. `undefined` when unknown, used or expired.
   */
  consume(nonce: string, now: Date): Promise<AccountLinkNonce | undefined>;
}

/** A message the bot sends (a subset of the Messaging API's message objects). */
export type BotMessage =
  | { type: 'text'; text: string }
  | {
      type: 'template';
      altText: string;
      template: {
        type: 'buttons';
        text: string;
        actions: Array<{ type: 'uri'; label: string; uri: string }>;
      };
    };

/** The Messaging API as the use cases need it (the adapter owns the channel access token). */
export interface MessagingApi {
  /** `POST /v2/bot/user/{userId}/linkToken`. @throws UpstreamError */
  issueLinkToken(lineUserId: string): Promise<string>;
  /** `POST /v2/bot/message/reply`. @throws UpstreamError */
  reply(replyToken: string, messages: BotMessage[]): Promise<void>;
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
