import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidRequestError } from '../../core/errors.js';
import { LINK_METHODS, type LinkMethod } from '../../core/link.js';
import {
  systemClock,
  type AdminAuditEvent,
  type AdminAuditLog,
  type AuditEvent,
  type AuditEventType,
  type AuditHistory,
  type AuditLog,
  type AuditPage,
  type Clock,
} from '../../core/ports/index.js';
import {
  ADMIN_EVENT_FIELDS,
  ADMIN_EVENT_TYPE,
  AUDIT_EVENT_TYPES,
  LINK_EVENT_FIELDS,
} from '../../manifest/audit-fields.js';
import { lineKey, type ExtraWrites } from './dynamo-link-repository.js';

type TransactItem = ReturnType<ExtraWrites>[number];

/**
 * The audit trail in its own DynamoDB table, one item per event:
 *
 * | attribute | value |
 * |---|---|
 * | `pk` | `LINE#<lineUserId>` — every event belongs to the verified LINE user of the request |
 * | `sk` | `<at>#<16 hex>` — ISO instant then a random suffix: time order, never a collision |
 * | `type`, `at`, `lineUserId`, `companyUserId`, `method`, … | the {@link AuditEvent}: the fields of `LINK_EVENT_FIELDS` (functions/manifest/audit-fields.ts) it has |
 * | `expiresAt` | epoch seconds, `at` + the retention; only with a retention (the table's TTL attribute) |
 *
 * A user's history is one Query on `pk`, newest first. Events are never updated or deleted by
 * the service (each Put is conditional on the item not existing). `link` and `unlink` events
 * are written inside the link's own transaction through {@link transactionWrites}; the others
 * (relink, conflict, lockout) change nothing in the links table and go through {@link record}.
 *
 * Only identifiers, times, the method, the consent version and error codes are stored: never a
 * token, a secret or a verification factor.
 */
export class DynamoAuditLog implements AuditLog, AuditHistory, AdminAuditLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
    private readonly options: DynamoAuditLogOptions = {},
  ) {}

  async record(event: AuditEvent): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: this.item(event),
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
  }

  /**
   * Admin actions go to their own partition, `ADMIN#<yyyy-mm-dd>` (one per day, so reading a
   * day's actions is one Query and no partition grows without bound), never to a user's
   * history: `GET /links/me/history` shows what happened to the link, not who at the company
   * looked at it.
   */
  async recordAdmin(event: AdminAuditEvent): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: adminAuditItem(event),
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
  }

  /**
   * One event as a transaction item, for writes that must commit with the change they record
   * (a webhook event's effects, DynamoWebhookEventLog).
   */
  eventWrite(event: AuditEvent): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: this.item(event),
        ConditionExpression: 'attribute_not_exists(sk)',
      },
    };
  }

  /**
   * The repository hook that adds the `link` / `unlink` event to the link transaction, so the
   * change and its record commit or fail together. A link's event carries the link's own
   * `linkedAt`; an unlink's carries the clock's time.
   */
  transactionWrites(): ExtraWrites {
    return ({ type, link, consentVersion, channelId }) => {
      const event: AuditEvent = {
        type,
        at: type === 'link' ? link.linkedAt : this.clock.now().toISOString(),
        lineUserId: link.lineUserId,
        companyUserId: link.companyUserId,
        method: link.method,
        ...((channelId ?? link.channelId) === undefined ? {} : { channelId: channelId ?? link.channelId }),
        ...(consentVersion === undefined ? {} : { consentVersion }),
      };
      return [this.eventWrite(event)];
    };
  }

  private item(event: AuditEvent): Record<string, string | number> {
    const days = this.options.retentionDays;
    if (days === undefined) return auditItem(event);
    return auditItem(event, Math.floor(Date.parse(event.at) / 1000) + days * 86_400);
  }

  async listByLineUserId(lineUserId: string, page: { limit: number; cursor?: string }): Promise<AuditPage> {
    const pk = lineKey(lineUserId);
    const startSk = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ScanIndexForward: false,
        Limit: page.limit,
        // The cursor only carries a sort key: the partition is always the caller's own.
        ...(startSk === undefined ? {} : { ExclusiveStartKey: { pk, sk: startSk } }),
      }),
    );
    const events = (result.Items ?? []).map(toAuditEvent).filter((e): e is AuditEvent => e !== undefined);
    const lastSk = result.LastEvaluatedKey?.sk;
    return typeof lastSk === 'string' ? { events, nextCursor: encodeCursor(lastSk) } : { events };
  }
}

export interface DynamoAuditLogOptions {
  /**
   * Days an event is kept (counted from its `at`) before DynamoDB's TTL deletes it; undefined
   * keeps events forever. TTL deletes within days of the expiry, not at the second.
   */
  retentionDays?: number;
}

/**
 * The stored item of an event (see {@link DynamoAuditLog} for the layout): every field of
 * LINK_EVENT_FIELDS the event has, the list the audit export reads its columns from.
 */
export function auditItem(event: AuditEvent, expiresAt?: number): Record<string, string | number> {
  const item: Record<string, string | number> = {
    pk: lineKey(event.lineUserId),
    sk: `${event.at}#${randomBytes(8).toString('hex')}`,
  };
  copyFields(event, LINK_EVENT_FIELDS, item);
  if (expiresAt !== undefined) item.expiresAt = expiresAt;
  return item;
}

/** Partition of the admin actions of one day. */
export const adminPartition = (at: string) => `ADMIN#${at.slice(0, 10)}`;

/** The stored item of an admin action: `type` = `admin` and every field of ADMIN_EVENT_FIELDS it has. */
export function adminAuditItem(event: AdminAuditEvent): Record<string, string | number> {
  const item: Record<string, string | number> = {
    pk: adminPartition(event.at),
    sk: `${event.at}#${randomBytes(8).toString('hex')}`,
    type: ADMIN_EVENT_TYPE,
  };
  copyFields(event, ADMIN_EVENT_FIELDS, item);
  return item;
}

/** Copies the listed fields the event has (and only those) onto the item. */
function copyFields<E extends object>(
  event: E,
  fields: { readonly [K in keyof E]-?: unknown },
  item: Record<string, string | number>,
): void {
  for (const name of Object.keys(fields) as Array<keyof E & string>) {
    const value = event[name];
    if (typeof value === 'string' || typeof value === 'number') item[name] = value;
  }
}

const EVENT_TYPES: ReadonlySet<string> = new Set<string>(AUDIT_EVENT_TYPES);

/** Reads an event back from a stored item (plain document-client form); undefined if it is not one. */
export function toAuditEvent(item: Record<string, unknown>): AuditEvent | undefined {
  const str = (name: string) => (typeof item[name] === 'string' ? (item[name] as string) : undefined);
  const type = str('type');
  const at = str('at');
  const lineUserId = str('lineUserId');
  if (!type || !EVENT_TYPES.has(type) || !at || !lineUserId) return undefined;
  const event: AuditEvent = { type: type as AuditEventType, at, lineUserId };
  const companyUserId = str('companyUserId');
  const method = str('method');
  const channelId = str('channelId');
  const consentVersion = str('consentVersion');
  const code = str('code');
  if (companyUserId !== undefined) event.companyUserId = companyUserId;
  if (method !== undefined && (LINK_METHODS as readonly string[]).includes(method))
    event.method = method as LinkMethod;
  if (channelId !== undefined) event.channelId = channelId;
  if (consentVersion !== undefined) event.consentVersion = consentVersion;
  if (code !== undefined) event.code = code;
  const webhookEventId = str('webhookEventId');
  if (webhookEventId !== undefined) event.webhookEventId = webhookEventId;
  const detail = str('detail');
  if (detail !== undefined) event.detail = detail;
  return event;
}

/** Sort keys look like `2026-11-22T09:00:00.000Z#0123456789abcdef`. */
const SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z#[0-9a-f]{16}$/;

function encodeCursor(sk: string): string {
  return Buffer.from(sk, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const sk = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!SORT_KEY.test(sk)) {
    throw new InvalidRequestError('The cursor is not valid.', [
      { path: 'cursor', message: 'Use the nextCursor of a previous page, unchanged.' },
    ]);
  }
  return sk;
}
