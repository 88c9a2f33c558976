import type { Link } from '../link.js';
import type {
  AccountLinkNonce,
  BotMessage,
  StoredWebhookEventClaim,
  WebhookEventClaim,
  WebhookReplyWork,
} from '../webhook-events.js';

export type { StoredWebhookEventClaim, WebhookEventClaim } from '../webhook-events.js';
import type { AuditEvent } from './audit.js';
import type {
  JobBatchRef,
  LineMessage,
  MemberSendResult,
  MemberSendStatus,
  MessageJob,
} from '../member-messages.js';

/**
 * Ports of the Messaging API side: the webhook's redelivery guard, what is known of each
 * user's friendship with the Official Account, the account-link nonces and the Messaging API itself.
 */

/**
 * One change a webhook event makes, committed with its claim. Each carries the state the use
 * case read, and the adapter makes the write conditional on it still holding, so that a change
 * made in between is never overwritten: the commit is then refused (`changed`) and the use case
 * reads again.
 */
export type WebhookEffect =
  | {
      /**
       * Records `friend` as of `at` for the user (newest wins), and on the user's link: `link` is
       * the link the use case read (its company user and reachability time) or undefined when
       * the user had none; the write asserts that is still so.
       */
      kind: 'friendship';
      lineUserId: string;
      friend: boolean;
      at: string;
      /** The state read: newest known time of the user's friendship, if any. */
      knownAt?: string;
      link?: { companyUserId: string; friendUpdatedAt?: string };
      /** The link is removed in the same commit (an `unlink` effect): its side is not touched. */
      linkRemoved?: true;
    }
  | {
      /** Removes the link read (both sides), with its `unlink` audit event. */
      kind: 'unlink';
      link: Link;
    }
  | { kind: 'audit'; event: AuditEvent }
  | {
      /** Uses up a pending account-link nonce bound to `lineUserId` (unexpired at `now`). */
      kind: 'consume-nonce';
      nonce: string;
      lineUserId: string;
      now: Date;
    };

/** What came of a {@link WebhookEventLog.commit}. */
export type WebhookCommitResult =
  /** The claim and every effect were written (also when only an earlier attempt of this call's was). */
  | { status: 'applied' }
  /** The event was already applied by an earlier delivery; nothing was written now. */
  | { status: 'duplicate'; claim: StoredWebhookEventClaim }
  /** A state the effects were planned on changed: nothing was written; read and plan again. */
  | { status: 'changed' };

/** Webhook events applied exactly once: the claim of an event ID commits with its effects. */
export interface WebhookEventLog {
  /**
   * Writes the claim and the effects in one transaction. Correct under the storage client's
   * own retries: an attempt whose answer was lost is recognised as this call's own.
   */
  commit(claim: WebhookEventClaim, effects: readonly WebhookEffect[]): Promise<WebhookCommitResult>;
  /** The stored claim of an event, if it was applied (and has not expired). */
  find(webhookEventId: string): Promise<StoredWebhookEventClaim | undefined>;
  /** Marks the event's LINE work done; false when it already was (or the claim is gone). */
  completeWork(webhookEventId: string, outcome: string): Promise<boolean>;
}

/** Where the LINE work of webhook events goes to be done after the answer (SQS in the cloud). */
export interface WebhookWorkQueue {
  enqueue(work: readonly WebhookReplyWork[]): Promise<void>;
}

/**
 * Link tokens the bot issued, with the LINE user each was issued for, so the account-link flow
 * knows whose link token the browser brought (the browser never tells who the LINE user is).
 */
export interface LinkTokenDirectory {
  /** Remembers `linkToken` as issued for `lineUserId` until `expiresAt` (epoch seconds). */
  record(linkToken: string, lineUserId: string, expiresAt: number): Promise<void>;
  /** The LINE user `linkToken` was issued for, when it is known and unexpired at `now`. */
  find(linkToken: string, now: Date): Promise<string | undefined>;
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
  /** The newest known state of the user (strongly consistent), if any was ever learned. */
  current(lineUserId: string): Promise<{ friend: boolean; at: string } | undefined>;
}

/** Nonces of pattern 4, each used at most once, by the LINE user it is bound to. */
export interface AccountLinkNonceStore {
  /** Stores a new nonce (a collision fails rather than overwrites). */
  create(nonce: AccountLinkNonce): Promise<void>;
  /**
   * The nonce when it exists, is unused and has not expired at `now`; `undefined` otherwise. A
   * read only: the nonce is used up in the transaction that links (or refuses), see
   * {@link WebhookEffect} `consume-nonce` and LinkGuard `account-link-nonce`.
   */
  find(nonce: string, now: Date): Promise<AccountLinkNonce | undefined>;
}

/** The Messaging API as the use cases need it (the adapter owns the channel access token). */
export interface MessagingApi {
  /** `POST /v2/bot/user/{userId}/linkToken`. @throws UpstreamError */
  issueLinkToken(lineUserId: string): Promise<string>;
  /** `POST /v2/bot/message/reply`. @throws UpstreamError */
  reply(replyToken: string, messages: BotMessage[]): Promise<void>;
  /** `GET /v2/bot/info` `userId`: the bot's user ID, the `destination` of its webhooks. @throws UpstreamError */
  botUserId(): Promise<string>;
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
  create(
    job: {
      jobId: string;
      createdAt: string;
      actor: string;
      messages: readonly LineMessage[];
      batches: ReadonlyArray<readonly string[]>;
    },
    claim?: IdempotencyClaimRef,
  ): Promise<void>;
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

// ------------------------------------------------------------------ Idempotency-Key of POST /admin/messages

/** One attempt's hold on a caller's `Idempotency-Key`. */
export interface IdempotencyClaimRef {
  /** Whose key it is: the caller's IAM principal (keys of two callers never meet). */
  scope: string;
  key: string;
  /** This attempt's own token: a write of its own that is retried is recognised by it. */
  owner: string;
}

/**
 * What the first request with a key answered, as much of it as gives it again: the status of
 * each distinct recipient, in request order, of a send done at once (the recipients come from
 * the request itself, which the same key can only carry again unchanged), or the job it started.
 */
export type IdempotentSendAnswer =
  | { kind: 'sent'; statuses: MemberSendStatus[] }
  | { kind: 'job'; job: Pick<MessageJob, 'jobId' | 'createdAt' | 'total' | 'batches'> };

/** A claim of a key for a request with this fingerprint. */
export interface IdempotencyClaimRequest extends IdempotencyClaimRef {
  /** SHA-256 of the canonical request: the same key with another fingerprint is refused. */
  fingerprint: string;
  /** What a new claim carries on to the work (the job ID, or the seed of the send's retry keys). */
  operationId: string;
  now: Date;
  /** Until when this attempt holds the key; after that another attempt with the same request may resume. */
  leaseUntil: Date;
  /** When the key is forgotten (and may be used again for anything). */
  expiresAt: Date;
}

/** What came of a claim. */
export type IdempotencyClaim =
  /**
   * This attempt holds the key: a new claim, or (`resumed`) one whose earlier attempt's lease
   * lapsed, with that attempt's operation ID and whatever part of the answer it had recorded.
   */
  | { outcome: 'claimed'; operationId: string; resumed: boolean; answer?: IdempotentSendAnswer }
  /** The key's request was done: its answer. */
  | { outcome: 'completed'; answer: IdempotentSendAnswer }
  /** Another attempt with the same request holds the key until `leaseUntil`. */
  | { outcome: 'in-progress'; leaseUntil: Date }
  /** The key was used for a request with another fingerprint. */
  | { outcome: 'mismatch' };

/**
 * `Idempotency-Key` records (draft-ietf-httpapi-idempotency-key-header): which request a key
 * was used for and what it answered. Every write is conditional on the attempt's owner token, so
 * a write whose answer was lost and is retried by the storage client is recognised as its own.
 */
export interface IdempotencyStore {
  /** Claims the key: atomic, so of concurrent claims of a free key exactly one gets it. */
  claim(request: IdempotencyClaimRequest): Promise<IdempotencyClaim>;
  /** Records the answer and ends the claim; false when another attempt has taken the key over. */
  complete(ref: IdempotencyClaimRef, answer: IdempotentSendAnswer): Promise<boolean>;
  /** Ends the lease at once after a failure (the operation ID stays), so a retry resumes without waiting. */
  release(ref: IdempotencyClaimRef): Promise<void>;
}
