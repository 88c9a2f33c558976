import type { AccountLinkNonce, BotMessage } from '../messaging.js';
import type { JobBatchRef, LineMessage, MemberSendResult, MessageJob } from '../messages.js';

/**
 * Ports of the Messaging API side: the webhook's redelivery guard, what is known of each
 * user's friendship with the Official Account, the account-link nonces and the Messaging API itself.
 */

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

/** The Messaging API as the use cases need it (the adapter owns the channel access token). */
export interface MessagingApi {
  /** `POST /v2/bot/user/{userId}/linkToken`. @throws UpstreamError */
  issueLinkToken(lineUserId: string): Promise<string>;
  /** `POST /v2/bot/message/reply`. @throws UpstreamError */
  reply(replyToken: string, messages: BotMessage[]): Promise<void>;
}

/** LINE's friendship status API, called with the user's own LINE Login access token. */
export interface FriendshipStatusApi {
  /** Whether the user has the Official Account linked to the login channel as a friend. @throws UpstreamError */
  isFriend(userAccessToken: string): Promise<boolean>;
}

/** Sends one multicast request to LINE. */
export interface MulticastSender {
  /**
   * Sends `messages` to up to 500 LINE users. `retryKey` goes out as `X-Line-Retry-Key` on the
   * request and on every retry of it, so LINE accepts it at most once.
   * @throws when the request failed for good (after the adapter's bounded retries).
   */
  multicast(to: readonly string[], messages: readonly LineMessage[], retryKey: string): Promise<void>;
}

/** Message jobs: the request, its batches, and per-batch results. */
export interface MessageJobStore {
  create(job: {
    jobId: string;
    createdAt: string;
    actor: string;
    messages: readonly LineMessage[];
    batches: ReadonlyArray<readonly string[]>;
  }): Promise<void>;
  get(jobId: string): Promise<MessageJob | undefined>;
  /** The request's messages and this batch's recipients; `done` once its results are stored. */
  batch(
    ref: JobBatchRef,
  ): Promise<{ messages: LineMessage[]; companyUserIds: string[]; done: boolean } | undefined>;
  /** Stores a batch's results and counts them into the job, once; false when it was already done. */
  completeBatch(ref: JobBatchRef, results: readonly MemberSendResult[]): Promise<boolean>;
  /** Results of finished batches from batch `fromBatch` on, a page of batches at a time. */
  results(jobId: string, fromBatch: number): Promise<{ results: MemberSendResult[]; nextBatch?: number }>;
}

/** Carries job batches to the worker (SQS in the cloud, in-process locally). */
export interface JobQueue {
  enqueue(batches: readonly JobBatchRef[]): Promise<void>;
}
