import type { CompanyIdentity, LineIdentity, Link } from '../link.js';

/**
 * Ports: what the use cases need from the outside world. Handlers plug in the real adapters
 * (DynamoDB, LINE Platform, company IdP); unit tests pass in-memory fakes.
 */

/** Verifies a LINE credential sent as `Authorization: Bearer` (an ID token or an access token). */
export interface LineIdentityVerifier {
  /** @throws InvalidTokenError when the token is not acceptable; UpstreamError when LINE fails. */
  verifyBearer(token: string): Promise<LineIdentity>;
}

/** Verifies an ID token issued by the company's OpenID Connect IdP. */
export interface CompanyIdentityVerifier {
  /**
   * @param options.nonce when set, the token's `nonce` claim must equal it (web flow).
   * @throws InvalidTokenError / UpstreamError
   */
  verifyIdToken(token: string, options?: { nonce?: string }): Promise<CompanyIdentity>;
}

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
 * Stores links so that a LINE user and a company user are each in at most one link. The
 * implementation must enforce that atomically (never read-then-write).
 */
export interface LinkRepository {
  /**
   * Creates the link, or returns the existing one when the very same pair is already linked.
   * @throws LineUserAlreadyLinkedError / CompanyUserAlreadyLinkedError on a conflict.
   */
  create(link: Link, context?: LinkContext): Promise<CreateLinkResult>;
  findByLineUserId(lineUserId: string): Promise<Link | undefined>;
  findByCompanyUserId(companyUserId: string): Promise<Link | undefined>;
  /** Removes both sides atomically; returns the removed link, or undefined if there was none. */
  deleteByLineUserId(lineUserId: string, context?: { channelId?: string }): Promise<Link | undefined>;
}

/** Time source; tests freeze it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** What happened to a link, for the audit trail (never a token or a factor value). */
export type AuditEventType =
  | 'link'
  | 'relink'
  | 'unlink'
  | 'conflict'
  | 'lockout'
  // The user added (`follow`) or blocked (`unfollow`) the LINE Official Account; `at` is the event's time.
  | 'follow'
  | 'unfollow'
  // LINE Login deauthorize after an unlink (LINE Login guidelines); `code` tells the outcome.
  | 'deauthorize';

/** One audit event. */
export interface AuditEvent {
  type: AuditEventType;
  /** ISO 8601 instant (UTC, `toISOString()` form, so events sort and filter as strings). */
  at: string;
  /** The verified LINE user the event belongs to (every event has one: each pattern verifies it first). */
  lineUserId: string;
  /** The company user involved; for `lockout`, the member ID that was tried. */
  companyUserId?: string;
  method?: import('../link.js').LinkMethod;
  /** The LINE channel whose token the request carried (one of LINE_CHANNEL_ID). */
  channelId?: string;
  /** Consent / policy version the front end sent with the request, if any. */
  consentVersion?: string;
  /**
   * For `conflict` and `lockout`: the stable error code. For `deauthorize`: `deauthorized`,
   * `deauthorize-failed` or `deauthorize-not-possible` (no LINE access token at hand).
   */
  code?: string;
}

/**
 * Records audit events that are not part of a link transaction (conflicts, lockouts, idempotent
 * relinks). Link and unlink events are written inside the link transaction by the repository.
 */
export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}

/** One page of a LINE user's audit events, newest first. */
export interface AuditPage {
  events: AuditEvent[];
  /** Opaque; pass it back to get the next (older) page. Absent on the last page. */
  nextCursor?: string;
}

/** Reads the audit trail. */
export interface AuditHistory {
  /**
   * The events of one LINE user, newest first.
   * @throws InvalidRequestError when `cursor` is not one this service issued.
   */
  listByLineUserId(lineUserId: string, page: { limit: number; cursor?: string }): Promise<AuditPage>;
}

// ------------------------------------------------------------------ admin API, messages, erasure

/** Why the company unlinks a member (audited with the unlink). */
export type UnlinkReason = 'membership-ended' | 'erasure-request' | 'support';

export const UNLINK_REASONS: readonly UnlinkReason[] = ['membership-ended', 'erasure-request', 'support'];

/** A link with what the service last learned of the user's friendship with the Official Account. */
export type ReachableLink = Link & {
  /** `true`/`false` as last learned from LINE; `null` or absent when never learned. */
  friend?: boolean | null;
};

/** One action of the company's systems through the admin API, recorded with who did it. */
export interface AdminAuditEvent {
  action: 'lookup' | 'unlink' | 'unlock' | 'erase' | 'message';
  /** ISO 8601 instant, UTC. */
  at: string;
  /** The verified caller: the IAM principal ARN of the signed request. */
  actor: string;
  companyUserId?: string;
  lineUserId?: string;
  memberId?: string;
  reason?: UnlinkReason;
  /** What came of it, e.g. `found`, `not-found`, `unlinked`, `not-linked`, `unlocked`, `accepted`. */
  outcome: string;
  /** Message sends: how many recipients were asked for. */
  recipients?: number;
  /** Message sends: the job that carries the send. */
  jobId?: string;
}

/** Records admin actions in the audit trail. */
export interface AdminAuditLog {
  recordAdmin(event: AdminAuditEvent): Promise<void>;
}

/** Reads many links at once (message sends resolve recipients in batches). */
export interface LinkDirectory {
  /** The links of those company users that are linked; the others are absent from the map. */
  findManyByCompanyUserIds(companyUserIds: readonly string[]): Promise<Map<string, ReachableLink>>;
}

/** What an erasure removed or rewrote, per table (counts only). */
export type ErasureReport = Record<string, { deleted: number; pseudonymized: number }>;

/**
 * Removes every personal value of one member from the service's storage: the link (both sides),
 * the imported member record, attempt counters, login sessions; audit events keep their types
 * and times with the identifiers replaced by keyed pseudonyms.
 */
export interface PersonalDataEraser {
  erase(ids: { companyUserId: string; lineUserId?: string; at: string }): Promise<ErasureReport>;
}

/** Clears a member's guessing-protection counters (the admin unlock). */
export interface AttemptUnlocker {
  /** @returns how many counters were removed. */
  unlock(keys: { memberId?: string; lineUserId?: string }): Promise<number>;
}
