import { LINK_METHODS } from '../core/link.js';
import type { AdminAuditEvent, AuditEvent, AuditEventType } from '../core/ports/audit.js';
import { UNLINK_REASONS } from '../core/ports/links.js';

/**
 * The audit trail's item layout as plain data: every field an event can carry, with the
 * DynamoDB type it is stored as. It is the one list that the audit log writes items from
 * (`auditItem`, `adminAuditItem` in functions/adapters/dynamo/dynamo-audit-log.ts), that the
 * Scan export (`npm run export -- --audit`) takes its columns from, and that the S3 export's
 * Athena table (lib/constructs/link-export.ts) declares, so a field cannot be written and then
 * silently left out of an export.
 *
 * The lists are checked against the event types of functions/core/ports/audit.ts: a field added
 * to {@link AuditEvent} or {@link AdminAuditEvent}, or an event type added to
 * {@link AuditEventType} or an admin action, does not compile until it is listed here.
 */

/** How a field is stored: `S` a string, `N` a number (DynamoDB attribute types). */
export type StoredKind = 'S' | 'N';

/** One stored field: its type, and what it holds (for the Athena table's and the docs' column notes). */
export interface AuditField {
  kind: StoredKind;
  about: string;
}

/** `'N'` for a number field, `'S'` for a string field, `never` for anything the item cannot store. */
type KindOf<T> = T extends number ? 'N' : T extends string ? 'S' : never;

/** Exactly the fields of `E`, each with the kind its TypeScript type is stored as. */
type FieldsOf<E> = {
  readonly [K in keyof E]-?: { readonly kind: KindOf<NonNullable<E[K]>>; readonly about: string };
};

// Records keyed by the union make the lists exhaustive: a member missing here does not compile.
const EVENT_TYPES: Record<AuditEventType, true> = {
  link: true,
  relink: true,
  unlink: true,
  conflict: true,
  lockout: true,
  follow: true,
  unfollow: true,
  deauthorize: true,
  'event-ignored': true,
  'rich-menu': true,
};
const ADMIN_ACTION_NAMES: Record<AdminAuditEvent['action'], true> = {
  lookup: true,
  unlink: true,
  unlock: true,
  erase: true,
  message: true,
  audience: true,
};

/**
 * Fields of a LINE user's event ({@link AuditEvent}), in the export's column order (the first
 * eight are the columns the export has always had).
 */
export const LINK_EVENT_FIELDS = {
  at: { kind: 'S', about: 'ISO 8601 instant, UTC' },
  type: { kind: 'S', about: `${Object.keys(EVENT_TYPES).join(' | ')}, or admin (an admin action)` },
  method: { kind: 'S', about: LINK_METHODS.join(' | ') },
  lineUserId: { kind: 'S', about: 'LINE user ID' },
  companyUserId: { kind: 'S', about: 'company user ID (for lockout: the member ID tried)' },
  channelId: { kind: 'S', about: 'LINE channel whose token the request carried' },
  consentVersion: { kind: 'S', about: 'consent / policy version sent by the front end' },
  code: {
    kind: 'S',
    about:
      'error code of a conflict or lockout, outcome of a deauthorize or a rich menu switch, reason of an ignored event',
  },
  webhookEventId: { kind: 'S', about: "LINE's ID of an ignored webhook event" },
  detail: {
    kind: 'S',
    about: 'why a deauthorize was not possible: no-access-token | channel-not-configured',
  },
} as const satisfies FieldsOf<AuditEvent>;

/** Fields of an admin action ({@link AdminAuditEvent}); stored with `type` = `admin`. */
export const ADMIN_EVENT_FIELDS = {
  at: LINK_EVENT_FIELDS.at,
  action: { kind: 'S', about: `admin action: ${Object.keys(ADMIN_ACTION_NAMES).join(' | ')}` },
  actor: { kind: 'S', about: 'IAM principal ARN of the signed admin request' },
  lineUserId: LINK_EVENT_FIELDS.lineUserId,
  companyUserId: LINK_EVENT_FIELDS.companyUserId,
  memberId: { kind: 'S', about: 'member ID of an unlock' },
  reason: { kind: 'S', about: `unlink reason: ${UNLINK_REASONS.join(' | ')}` },
  outcome: { kind: 'S', about: 'what came of an admin action, e.g. found, unlinked, unlocked, job-started' },
  recipients: {
    kind: 'N',
    about: 'message sends and audiences: how many recipients (members) were asked for',
  },
  jobId: { kind: 'S', about: 'message sends and audiences: the job that carries the work' },
} as const satisfies FieldsOf<AdminAuditEvent>;

/**
 * Every event field an audit item may hold, in export column order: the LINE user's event fields,
 * then those only admin actions have. Besides these an item has its key (`pk`, `sk`) and, with a
 * retention, the TTL attribute `expiresAt`.
 */
export const AUDIT_ITEM_FIELDS: Readonly<Record<string, AuditField>> = {
  ...LINK_EVENT_FIELDS,
  ...ADMIN_EVENT_FIELDS,
};

/** The `type` of an admin action's item. */
export const ADMIN_EVENT_TYPE = 'admin';

/** Every {@link AuditEventType}. */
export const AUDIT_EVENT_TYPES = Object.keys(EVENT_TYPES) as readonly AuditEventType[];

/** Every admin action. */
export const ADMIN_ACTIONS = Object.keys(ADMIN_ACTION_NAMES) as ReadonlyArray<AdminAuditEvent['action']>;
