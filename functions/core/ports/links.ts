import type { Link } from '../link.js';
import type { LinkEvent } from '../link-events.js';
import type { WebhookEventClaim } from '../webhook-events.js';

/** Where links are kept, one per LINE user and one per company user, and read back in bulk. */

/** Result of {@link LinkRepository.create}: the stored link and whether this call created it. */
export interface CreateLinkResult {
  link: Link;
  created: boolean;
}

/** What a link request carries besides the two identities; recorded in the audit trail only. */
export interface LinkContext {
  /** Consent / policy version the front end sent with the request, if any. */
  consentVersion?: string;
}

/**
 * What a link request knows of the LINE user's friendship with the Official Account, for a new
 * link to start with the right `friend` instead of waiting for the next follow / unfollow event.
 *
 * - `unknown`: the request learned nothing; the link takes over the newest state the service
 *   already knows (events that came before the link), if any.
 * - `learned`: LINE just told it (`friend` as of `at`, ISO 8601); it is recorded like an event
 *   (newest wins), and the link gets the newest of it and what was known.
 */
export type LinkFriendship = { known: 'unknown' } | { known: 'learned'; friend: boolean; at: string };

/**
 * A one-time credential a link request spends, checked and recorded by the repository in the
 * link's own transaction: a refused guard writes nothing, and no link commits without its guards.
 * One helper per kind in each implementation (the Dynamo repository switches on `kind`).
 *
 * - `company-token`: the company ID token `tokenId` (its `jti`, else a hash of the token) is bound
 *   to the LINE user who first presented it, until `expiresAt` (epoch seconds; the verifier
 *   refuses the token after it). Another LINE user presenting it → CompanyTokenReplayedError;
 *   the same user presenting it again is a retry and passes.
 * - `webhook-event`: the claim of the webhook event that makes the link (pattern 4's
 *   `accountLink`), so the event is applied with its link or not at all. Already claimed by an
 *   earlier delivery → WebhookEventAppliedError (carrying that claim). Not recorded by an
 *   idempotent relink: the webhook commits the claim itself then, with the relink's audit event.
 * - `account-link-nonce`: uses up the nonce, which must exist, be unexpired at `now` and be
 *   bound to `lineUserId`; else NonceUnavailableError. Not recorded by an idempotent relink
 *   either (the webhook uses it up with its claim).
 * - `link-nonce`: uses up a nonce of `POST /links/nonce` (the LINE ID token's `nonce` claim),
 *   which must exist, be unexpired at `now` and unused; else LineNonceRejectedError. It records
 *   the pair it linked, so the same request again (the same LINE user and company user, the pair
 *   still linked) is a retry answered with the link, and a lost answer of the link's own
 *   transaction is recognised as this call's. Not recorded by an idempotent relink: the link
 *   stands, nothing is linked anew.
 */
export type LinkGuard =
  | { kind: 'company-token'; tokenId: string; lineUserId: string; expiresAt: number }
  | { kind: 'webhook-event'; claim: WebhookEventClaim }
  | { kind: 'account-link-nonce'; nonce: string; lineUserId: string; now: Date }
  | { kind: 'link-nonce'; nonce: string; lineUserId: string; companyUserId: string; now: Date };

/**
 * Stores links so that a LINE user and a company user are each in at most one link. The
 * implementation must enforce that atomically (never read-then-write).
 */
export interface LinkRepository {
  /**
   * Creates the link, or returns the existing one when the very same pair is already linked.
   *
   * With `friendship`, a new link takes over the user's friendship atomically with its creation
   * (never read-then-write: a follow event recorded at the same moment must end on the link), and
   * the returned link carries it (`friend`, `friendUpdatedAt`) when one is known. An idempotent
   * relink or a conflict writes nothing, a learned state included.
   *
   * With `guards`, a new link records them in its own transaction. An idempotent relink records
   * the `company-token` ones on their own before it answers (the token was spent on this pair;
   * the other kinds say what they do). A refused guard is refused before anything else, a
   * conflict included, and nothing is written; a conflict records no guard (the user may retry
   * with the same credential).
   * @throws LineUserAlreadyLinkedError / CompanyUserAlreadyLinkedError on a conflict.
   * @throws CompanyTokenReplayedError when a `company-token` guard is bound to another LINE user.
   */
  create(
    link: Link,
    context?: LinkContext,
    friendship?: LinkFriendship,
    guards?: readonly LinkGuard[],
  ): Promise<CreateLinkResult>;
  findByLineUserId(lineUserId: string): Promise<Link | undefined>;
  findByCompanyUserId(companyUserId: string): Promise<Link | undefined>;
  /** Removes both sides atomically; returns the removed link, or undefined if there was none. */
  deleteByLineUserId(lineUserId: string, context?: { channelId?: string }): Promise<Link | undefined>;
}

/**
 * Nonces of `POST /links/nonce` (seed 001: a server-issued nonce for an app's LINE login). Only
 * their issue is here; a nonce is used up by the link it serves, in the link's own transaction
 * (a `link-nonce` guard of {@link LinkRepository.create}), never on its own.
 */
export interface LinkNonceStore {
  /** Stores a new nonce until `expiresAt` (epoch seconds); never overwrites a stored one. */
  create(nonce: { nonce: string; expiresAt: number }): Promise<void>;
}

/** A link with what the service last learned of the user's friendship with the Official Account. */
export type ReachableLink = Link & {
  /** `true`/`false` as last learned from LINE; `null` or absent when never learned. */
  friend?: boolean | null;
};

/** Reads many links at once (message sends resolve recipients in batches). */
export interface LinkDirectory {
  /** The links of those company users that are linked; the others are absent from the map. */
  findManyByCompanyUserIds(companyUserIds: readonly string[]): Promise<Map<string, ReachableLink>>;
}

/** Why the company unlinks a member (audited with the unlink). */
export type UnlinkReason = 'membership-ended' | 'erasure-request' | 'support';

export const UNLINK_REASONS: readonly UnlinkReason[] = ['membership-ended', 'erasure-request', 'support'];

/** Publishes link events (EventBridge in the cloud, a log line locally). */
export interface LinkEventPublisher {
  publish(events: readonly LinkEvent[]): Promise<void>;
}
