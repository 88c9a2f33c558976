import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ErasureReport, PersonalDataEraser } from '../../core/ports/index.js';
import { ADMIN_EVENT_TYPE } from '../../manifest/audit-fields.js';
import type { TableKey } from '../../manifest/table-definitions.js';
import { companyKey, lineKey } from './dynamo-link-repository.js';
import { oldItem } from './item-attribute.js';

/**
 * Attributes in which an item of any table may hold a member number or a LINE user ID: the keys
 * (`LINE#<id>`, `COMPANY#<id>`, `MEMBER#<id>`, `FRIEND#<id>`…), the identifier attributes (links,
 * members, audit events, account-link nonces, link tokens, company-token records, sessions), a
 * message job batch's recipients (a list) and results (JSON text), and a webhook event's pending
 * LINE work (JSON text). An item kind that stores an identifier in another attribute must be
 * added here: the erasure test (test/integration/admin/admin-erasure.test.ts) reads every table
 * after an erasure and fails on any identifier left in clear.
 */
const REFERENCE_ATTRIBUTES = [
  'pk',
  'sk',
  'lineUserId',
  'companyUserId',
  'memberId',
  'companyUserIds',
  'memberIds',
  'lineUserIds',
  'notLinkedMemberIds',
  'results',
  'work',
] as const;

/** Job item lists of member numbers, rewritten with pseudonyms (message batches, audience parts). */
const JOB_ID_LISTS = ['companyUserIds', 'memberIds', 'notLinkedMemberIds'] as const;

/** Identifier attributes of an audit event, replaced by pseudonyms (the event itself is kept). */
const AUDIT_ID_ATTRIBUTES = ['lineUserId', 'companyUserId', 'memberId'] as const;

/**
 * Audit events that pair a LINE user with the member: the link was theirs (link, relink, unlink,
 * the deauthorize after an unlink), or the company looked it up or unlinked it. Conflicts and
 * lockouts are not among them: their LINE user is whoever tried the member's number.
 */
const PAIRING_EVENTS: ReadonlySet<string> = new Set(['link', 'relink', 'unlink', 'deauthorize']);
const PAIRING_ADMIN_ACTIONS: ReadonlySet<string> = new Set(['lookup', 'unlink']);

/** Values per filtered Scan (each adds one `contains` per attribute to the filter). */
const VALUES_PER_SCAN = 8;

/** Options of {@link DynamoPersonalDataEraser}. */
export interface DynamoPersonalDataEraserOptions {
  client: DynamoDBDocumentClient;
  tables: Record<TableKey, string>;
  /** Keyed pseudonym (HMAC) of an identifier; resolved lazily (the key may live in Secrets Manager). */
  pseudonymizer: () => Promise<(value: string) => string>;
  /** Parallel Scan segments per table (default 4). */
  segments?: number;
}

type Item = Record<string, unknown>;

/**
 * Erasure of one member across every table. The identifiers erased are the member number, the
 * member IDs of the member's imported records, and every LINE user the member was linked with:
 * the current one and those of earlier links (found through the audit trail's link, relink,
 * unlink and deauthorize events and the admin lookups and unlinks naming the member). A former
 * LINE user who is linked to another member today is left alone: that link is someone else's.
 *
 * Every table but links is read with a filtered, paginated parallel Scan for items whose key or
 * identifier attributes ({@link REFERENCE_ATTRIBUTES}) name one of those identifiers, so
 * references no index knows of are found too (another LINE user's conflict event naming the
 * member, a pending account-link nonce, a friendship of a former LINE user). The links table,
 * which holds only the two sides of each link, is never scanned: its items are deleted by key.
 * Then:
 *
 * | table | what happens |
 * |---|---|
 * | audit | each event rewritten: type and time kept, each identifier replaced by a keyed pseudonym (`pseudonym:<64 hex>`), a LINE user's partition moved to `PSEUDONYM#<…>` |
 * | jobs | the member's entries in message batch recipients and results and in audience parts' member lists replaced by the pseudonym, so the job's counts and totals stay as they were; the erased LINE users taken out of audience parts' upload lists |
 * | links | the link's two sides of the member and of each of its LINE users, by key, each while it is still the member's |
 * | members, attempts, sessions, messaging (and any other) | each item deleted: member records, attempt counters, web-login sessions, company-token records, friendships, account-link nonces (so a later `accountLink` event links nothing), link tokens, webhook events whose LINE work is pending |
 *
 * An audit event is rewritten with one transaction (delete the old, put the new) when its key
 * changes, so no event is lost or left half-rewritten; a job batch with a conditional update on
 * what was read, so a batch the worker completes meanwhile is read again, not overwritten.
 * Running it twice is harmless. What it cannot stop: a nonce or a batch result written by a
 * request already in flight when the erasure runs (seconds); running the erasure again removes it.
 */
export class DynamoPersonalDataEraser implements PersonalDataEraser {
  constructor(private readonly options: DynamoPersonalDataEraserOptions) {}

  async erase(ids: { companyUserId: string; lineUserId?: string; at: string }): Promise<ErasureReport> {
    const { tables } = this.options;
    const pseudonym = await this.options.pseudonymizer();
    const report: ErasureReport = {};
    const count = (table: TableKey, kind: 'deleted' | 'pseudonymized') => {
      report[table] ??= { deleted: 0, pseudonymized: 0 };
      report[table][kind] += 1;
    };
    const memberIds = new Set([ids.companyUserId]);
    const lineUserIds = new Set(ids.lineUserId ? [ids.lineUserId] : []);
    const erased = () => new Set([...memberIds, ...lineUserIds]);

    // Member IDs: records naming the member (keyed by another member ID) name them too.
    for (const item of await this.scanReferencing('members', memberIds)) {
      if (typeof item.memberId === 'string') memberIds.add(item.memberId);
    }

    // Former LINE users, from the audit events that pair them with the member.
    const audit = new Map<string, Item>();
    const addAudit = (items: Item[]) => {
      for (const item of items) audit.set(`${String(item.pk)}|${String(item.sk)}`, item);
    };
    addAudit(await this.scanReferencing('audit', erased()));
    const former = new Set<string>();
    for (const item of audit.values()) {
      const lineUserId = item.lineUserId;
      if (typeof lineUserId !== 'string' || lineUserIds.has(lineUserId)) continue;
      const pairs =
        PAIRING_EVENTS.has(String(item.type)) ||
        (item.type === ADMIN_EVENT_TYPE && PAIRING_ADMIN_ACTIONS.has(String(item.action)));
      if (pairs && typeof item.companyUserId === 'string' && memberIds.has(item.companyUserId))
        former.add(lineUserId);
    }
    for (const lineUserId of former) {
      if (await this.linkedElsewhere(lineUserId, memberIds)) continue;
      lineUserIds.add(lineUserId);
    }
    if (former.size > 0) addAudit(await this.scanReferencing('audit', lineUserIds));

    const values = erased();
    await Promise.all(
      (Object.keys(tables) as TableKey[]).map(async (table) => {
        if (table === 'audit') {
          for (const item of audit.values()) {
            if (await this.rewriteAudit(item, values, lineUserIds, pseudonym))
              count('audit', 'pseudonymized');
          }
          return;
        }
        if (table === 'links') {
          // Never scanned (the links table is the largest, and the service reads it by key
          // only): it holds nothing but the two sides of links, both keyed by an identifier.
          const keys = [...[...memberIds].map(companyKey), ...[...lineUserIds].map(lineKey)];
          for (const pk of keys)
            if (await this.deleteItem('links', { pk }, memberIds)) count('links', 'deleted');
          return;
        }
        for (const item of await this.scanReferencing(table, values)) {
          if (table === 'jobs') {
            if (await this.rewriteJobItem(item, values, pseudonym)) count('jobs', 'pseudonymized');
            continue;
          }
          if (await this.deleteItem(table, item, memberIds)) count(table, 'deleted');
        }
      }),
    );
    return report;
  }

  /**
   * Deletes one item. A link side only while it is still the member's: a LINE user of the member
   * who links to someone else meanwhile keeps that new link whole.
   */
  private async deleteItem(table: TableKey, item: Item, memberIds: ReadonlySet<string>): Promise<boolean> {
    const key: Item = { pk: item.pk };
    if (item.sk !== undefined) key.sk = item.sk;
    const members = [...memberIds];
    const condition =
      table === 'links'
        ? {
            ConditionExpression: `attribute_not_exists(companyUserId) OR companyUserId IN (${members.map((_, i) => `:m${i}`).join(', ')})`,
            ExpressionAttributeValues: Object.fromEntries(members.map((id, i) => [`:m${i}`, id])),
          }
        : {};
    try {
      const result = await this.options.client.send(
        new DeleteCommand({
          TableName: this.options.tables[table],
          Key: key,
          ReturnValues: 'ALL_OLD',
          ...condition,
        }),
      );
      return result.Attributes !== undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Whether the LINE user is linked today, to a company user other than the member. */
  private async linkedElsewhere(lineUserId: string, memberIds: ReadonlySet<string>): Promise<boolean> {
    const { Item } = await this.options.client.send(
      new GetCommand({
        TableName: this.options.tables.links,
        Key: { pk: lineKey(lineUserId) },
        ConsistentRead: true,
      }),
    );
    return typeof Item?.companyUserId === 'string' && !memberIds.has(Item.companyUserId);
  }

  /** Rewrites one audit event with pseudonyms; false when it names none of `values` (any more). */
  private async rewriteAudit(
    item: Item,
    values: ReadonlySet<string>,
    lineUserIds: ReadonlySet<string>,
    pseudonym: (value: string) => string,
  ): Promise<boolean> {
    const table = this.options.tables.audit;
    const rewritten: Item = { ...item };
    for (const name of AUDIT_ID_ATTRIBUTES) {
      const value = item[name];
      if (typeof value === 'string' && values.has(value)) rewritten[name] = `pseudonym:${pseudonym(value)}`;
    }
    const partitionOf = [...lineUserIds].find((id) => item.pk === lineKey(id));
    if (partitionOf !== undefined) rewritten.pk = `PSEUDONYM#${pseudonym(partitionOf)}`;
    if (AUDIT_ID_ATTRIBUTES.every((name) => rewritten[name] === item[name]) && rewritten.pk === item.pk)
      return false;
    if (rewritten.pk === item.pk) {
      // Same key: one Put replaces the item.
      await this.options.client.send(new PutCommand({ TableName: table, Item: rewritten }));
    } else {
      await this.options.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: table, Key: { pk: item.pk, sk: item.sk } } },
            { Put: { TableName: table, Item: rewritten } },
          ],
        }),
      );
    }
    return true;
  }

  /**
   * Replaces the member's entries in a job item by their pseudonyms, so counts and totals stay
   * true: a message batch's `companyUserIds` (and `results` once done), an audience part's
   * `memberIds` and `notLinkedMemberIds`; a part not resolved yet then reports the entry as not
   * linked (it is not, any more). An audience part's `lineUserIds` lose the erased LINE users
   * instead: a pseudonym is no LINE user ID, and an upload after the erasure must not send them.
   * Conditional on the item being as read: when the worker changed it meanwhile, the item is read
   * again (from the failed condition) and redone.
   */
  private async rewriteJobItem(
    item: Item,
    values: ReadonlySet<string>,
    pseudonym: (value: string) => string,
  ): Promise<boolean> {
    const replace = (id: unknown) =>
      typeof id === 'string' && values.has(id) ? `pseudonym:${pseudonym(id)}` : id;
    let current: Item | undefined = item;
    for (let attempt = 0; current && attempt < 5; attempt++) {
      const rewritten: Record<string, unknown> = {};
      for (const name of JOB_ID_LISTS) {
        if (Array.isArray(current[name])) rewritten[name] = (current[name] as unknown[]).map(replace);
      }
      if (Array.isArray(current.lineUserIds))
        rewritten.lineUserIds = current.lineUserIds.filter(
          (id) => !(typeof id === 'string' && values.has(id)),
        );
      // Results are `[[companyUserId, status], …]` (dynamo-message-job-store.ts).
      if (typeof current.results === 'string')
        rewritten.results = JSON.stringify(
          (JSON.parse(current.results) as unknown[]).map((entry) =>
            Array.isArray(entry) ? [replace(entry[0]), ...entry.slice(1)] : entry,
          ),
        );
      const changed = Object.keys(rewritten).filter(
        (name) => JSON.stringify(rewritten[name]) !== JSON.stringify(current![name]),
      );
      if (changed.length === 0) return attempt > 0;
      const names: Record<string, string> = {};
      const attributeValues: Record<string, unknown> = {};
      const sets: string[] = [];
      const conditions: string[] = [];
      changed.forEach((name, i) => {
        names[`#a${i}`] = name;
        attributeValues[`:new${i}`] = rewritten[name];
        attributeValues[`:old${i}`] = current![name];
        sets.push(`#a${i} = :new${i}`);
        conditions.push(`#a${i} = :old${i}`);
      });
      // A message batch the worker completes meanwhile gains `results`, an audience part it
      // resolves gains `lineUserIds`: then read again rather than overwrite.
      const filledLater =
        'companyUserIds' in current ? 'results' : 'memberIds' in current ? 'lineUserIds' : undefined;
      if (filledLater && current[filledLater] === undefined) {
        names['#later'] = filledLater;
        conditions.push('attribute_not_exists(#later)');
      }
      try {
        await this.options.client.send(
          new UpdateCommand({
            TableName: this.options.tables.jobs,
            Key: { pk: current.pk, sk: current.sk },
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: attributeValues,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // The item changed under us (the worker completed it) or is gone: redo it from what is stored now.
        current = oldItem(error.Item);
      }
    }
    if (current) throw new Error('A job item kept changing during the erasure; run it again.');
    return false;
  }

  /**
   * Items of `table` whose key or identifier attributes name one of `values`: a filtered,
   * paginated parallel Scan (DynamoDB's `contains` is a substring test on strings and a member
   * test on lists), each candidate then checked exactly ({@link mentions}).
   */
  private async scanReferencing(table: TableKey, values: ReadonlySet<string>): Promise<Item[]> {
    const list = [...values];
    const found = new Map<string, Item>();
    for (let i = 0; i < list.length; i += VALUES_PER_SCAN) {
      const chunk = list.slice(i, i + VALUES_PER_SCAN);
      for (const item of await this.scan(table, chunk)) {
        if (chunk.some((value) => mentions(item, value)))
          found.set(`${String(item.pk)}|${String(item.sk)}`, item);
      }
    }
    return [...found.values()];
  }

  private async scan(table: TableKey, values: readonly string[]): Promise<Item[]> {
    const names: Record<string, string> = {};
    const attributeValues: Record<string, string> = {};
    const clauses: string[] = [];
    values.forEach((value, v) => (attributeValues[`:v${v}`] = value));
    REFERENCE_ATTRIBUTES.forEach((attribute, a) => {
      names[`#a${a}`] = attribute;
      for (const key of Object.keys(attributeValues)) clauses.push(`contains(#a${a}, ${key})`);
    });
    const segments = this.options.segments ?? 4;
    const pages = await Promise.all(
      Array.from({ length: segments }, async (_, segment) => {
        const items: Item[] = [];
        let start: Item | undefined;
        do {
          const page = await this.options.client.send(
            new ScanCommand({
              TableName: this.options.tables[table],
              FilterExpression: clauses.join(' OR '),
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: attributeValues,
              ConsistentRead: true,
              Segment: segment,
              TotalSegments: segments,
              ExclusiveStartKey: start,
            }),
          );
          items.push(...(page.Items ?? []));
          start = page.LastEvaluatedKey;
        } while (start);
        return items;
      }),
    );
    return pages.flat();
  }
}

/**
 * Whether an item names `value` exactly in one of {@link REFERENCE_ATTRIBUTES}: as the whole
 * value, as one `#`-separated part of a key (`FRIEND#<id>`, not `FRIEND#<id>0`), as a list
 * member, or as a string inside JSON text.
 */
export function mentions(item: Item, value: string): boolean {
  const inKey = (text: string) =>
    text === value ||
    text.endsWith(`#${value}`) ||
    text.startsWith(`${value}#`) ||
    text.includes(`#${value}#`);
  const deep = (node: unknown): boolean => {
    if (typeof node === 'string') return node === value;
    if (Array.isArray(node)) return node.some(deep);
    if (node && typeof node === 'object') return Object.values(node).some(deep);
    return false;
  };
  return REFERENCE_ATTRIBUTES.some((name) => {
    const attribute = item[name];
    if (typeof attribute === 'string') {
      if (name === 'pk' || name === 'sk') return inKey(attribute);
      if (attribute === value) return true;
      if (!/^\s*[[{]/.test(attribute) || !attribute.includes(value)) return false;
      try {
        return deep(JSON.parse(attribute));
      } catch {
        return false;
      }
    }
    return deep(attribute);
  });
}
