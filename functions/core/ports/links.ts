import type { Link } from '../link.js';
import type { LinkEvent } from '../link-events.js';

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
   * @throws LineUserAlreadyLinkedError / CompanyUserAlreadyLinkedError on a conflict.
   */
  create(link: Link, context?: LinkContext, friendship?: LinkFriendship): Promise<CreateLinkResult>;
  findByLineUserId(lineUserId: string): Promise<Link | undefined>;
  findByCompanyUserId(companyUserId: string): Promise<Link | undefined>;
  /** Removes both sides atomically; returns the removed link, or undefined if there was none. */
  deleteByLineUserId(lineUserId: string, context?: { channelId?: string }): Promise<Link | undefined>;
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
