import type { CompanyIdentity, LineIdentity, Link } from './link.js';

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
  | 'unfollow';

/** One audit event. */
export interface AuditEvent {
  type: AuditEventType;
  /** ISO 8601 instant (UTC, `toISOString()` form, so events sort and filter as strings). */
  at: string;
  /** The verified LINE user the event belongs to (every event has one: each pattern verifies it first). */
  lineUserId: string;
  /** The company user involved; for `lockout`, the member ID that was tried. */
  companyUserId?: string;
  method?: import('./link.js').LinkMethod;
  /** The LINE channel whose token the request carried (one of LINE_CHANNEL_ID). */
  channelId?: string;
  /** Consent / policy version the front end sent with the request, if any. */
  consentVersion?: string;
  /** For `conflict` and `lockout`: the stable error code. */
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
