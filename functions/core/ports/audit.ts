import type { LinkMethod } from '../link.js';
import type { UnlinkReason } from './links.js';

/** The audit trail: what happened to links, and what the company's systems did through the admin API. */

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
  | 'deauthorize'
  // A signed webhook event that was not applied because it cannot be trusted as it stands
  // (`code`: `timestamp-invalid`, `timestamp-in-future`, `timestamp-too-old`).
  | 'event-ignored'
  // The user's rich menu switched after a link change (`code`: `rich-menu-linked`,
  // `rich-menu-unlinked` or `rich-menu-failed`).
  | 'rich-menu';

/** One audit event. */
export interface AuditEvent {
  type: AuditEventType;
  /** ISO 8601 instant (UTC, `toISOString()` form, so events sort and filter as strings). */
  at: string;
  /** The verified LINE user the event belongs to (every event has one: each pattern verifies it first). */
  lineUserId: string;
  /** The company user involved; for `lockout`, the member ID that was tried. */
  companyUserId?: string;
  method?: LinkMethod;
  /** The LINE channel whose token the request carried (one of LINE_CHANNEL_ID). */
  channelId?: string;
  /** Consent / policy version the front end sent with the request, if any. */
  consentVersion?: string;
  /**
   * For `conflict` and `lockout`: the stable error code. For `deauthorize`: `deauthorized`,
   * `deauthorize-failed` or `deauthorize-not-possible` (no LINE access token at hand). For
   * `event-ignored`: why. For `rich-menu`: `rich-menu-linked` (the status's menu linked to the
   * user), `rich-menu-unlinked` (the per-user menu removed) or `rich-menu-failed` (LINE refused).
   */
  code?: string;
  /** For `event-ignored`: LINE's ID of the event. */
  webhookEventId?: string;
  /**
   * For a `deauthorize-not-possible` deauthorize: why (`no-access-token`, or
   * `channel-not-configured` for an access token of a channel whose credentials the service lacks).
   */
  detail?: string;
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

/** One action of the company's systems through the admin API, recorded with who did it. */
export interface AdminAuditEvent {
  action: 'lookup' | 'unlink' | 'unlock' | 'erase' | 'message' | 'audience';
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
  /** Message sends and audiences: how many recipients (members) were asked for. */
  recipients?: number;
  /** Message sends and audiences: the job that carries the work. */
  jobId?: string;
}

/** Records admin actions in the audit trail. */
export interface AdminAuditLog {
  recordAdmin(event: AdminAuditEvent): Promise<void>;
}
