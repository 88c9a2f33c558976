import {
  DeleteCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ErasureReport, PersonalDataEraser } from '../../core/ports/index.js';
import type { TableKey } from '../../manifest/table-definitions.js';
import { counterKey } from './dynamo-attempt-limiter.js';
import { friendKey } from './friendship-item.js';
import { companyKey, lineKey } from './dynamo-link-repository.js';
import { memberKey } from './dynamo-member-repository.js';

/** Identifier attributes an item of any table may carry. */
const ID_ATTRIBUTES = ['lineUserId', 'companyUserId', 'memberId'] as const;

/** Options of {@link DynamoPersonalDataEraser}. */
export interface DynamoPersonalDataEraserOptions {
  client: DynamoDBDocumentClient;
  tables: Record<TableKey, string>;
  /** Keyed pseudonym (HMAC) of an identifier; resolved lazily (the key may live in Secrets Manager). */
  pseudonymizer: () => Promise<(value: string) => string>;
}

/**
 * Erasure of one member across every table:
 *
 * | table | what happens |
 * |---|---|
 * | links | both items of the link deleted (already unlinked by the use case; leftovers too) |
 * | members | the imported record(s) of the member deleted |
 * | attempts | the member's and the LINE user's counters deleted |
 * | sessions | web-login sessions of the LINE user deleted |
 * | audit | every event of either ID rewritten: type and time kept, each identifier replaced by a keyed pseudonym (`pseudonym:<64 hex>`), the LINE user's partition moved to `PSEUDONYM#<…>` |
 *
 * Items found by key where the key is known, and otherwise by a filtered Scan (an erasure is rare;
 * a Scan finds references no index knows of, such as another LINE user's conflict event naming
 * this member). An audit event is rewritten with one transaction (delete the old, put the new),
 * so no event is lost or left half-rewritten. Running it twice is harmless.
 */
export class DynamoPersonalDataEraser implements PersonalDataEraser {
  constructor(private readonly options: DynamoPersonalDataEraserOptions) {}

  async erase(ids: { companyUserId: string; lineUserId?: string; at: string }): Promise<ErasureReport> {
    const { client, tables } = this.options;
    const pseudonym = await this.options.pseudonymizer();
    const values = new Set([ids.companyUserId, ...(ids.lineUserId ? [ids.lineUserId] : [])]);
    const report: ErasureReport = {};
    const count = (table: TableKey, kind: 'deleted' | 'pseudonymized', n = 1) => {
      report[table] ??= { deleted: 0, pseudonymized: 0 };
      report[table][kind] += n;
    };
    const deleteKey = async (table: TableKey, pk: string, sk?: string) => {
      const result = await client.send(
        new DeleteCommand({
          TableName: tables[table],
          Key: sk === undefined ? { pk } : { pk, sk },
          ReturnValues: 'ALL_OLD',
        }),
      );
      if (result.Attributes) count(table, 'deleted');
    };

    // links: both sides (normally gone already).
    await deleteKey('links', companyKey(ids.companyUserId));
    if (ids.lineUserId) await deleteKey('links', lineKey(ids.lineUserId));

    // members: the record keyed by the ID, and any record naming the member as its company user.
    const memberIds = new Set([ids.companyUserId]);
    for (const item of await this.scanReferencing('members', values)) {
      if (typeof item.memberId === 'string') memberIds.add(item.memberId);
      await deleteKey('members', item.pk as string);
    }
    for (const memberId of memberIds) await deleteKey('members', memberKey(memberId));

    // attempts: counters of the member(s) and the LINE user.
    for (const memberId of memberIds) await deleteKey('attempts', counterKey.member(memberId));
    if (ids.lineUserId) await deleteKey('attempts', counterKey.lineUser(ids.lineUserId));

    // messaging: the LINE user's last known friendship.
    if (ids.lineUserId) await deleteKey('messaging', friendKey(ids.lineUserId));

    // sessions: anything naming either ID.
    for (const item of await this.scanReferencing('sessions', values))
      await deleteKey('sessions', item.pk as string);

    // audit: the LINE user's partition, then every other event naming either ID.
    const erasedValues = new Set([...values, ...memberIds]);
    const auditItems = new Map<string, Record<string, unknown>>();
    if (ids.lineUserId) {
      for (const item of await this.queryPartition('audit', lineKey(ids.lineUserId)))
        auditItems.set(`${String(item.pk)}|${String(item.sk)}`, item);
    }
    for (const item of await this.scanReferencing('audit', erasedValues))
      auditItems.set(`${String(item.pk)}|${String(item.sk)}`, item);
    for (const item of auditItems.values()) {
      const rewritten: Record<string, unknown> = { ...item };
      for (const name of ID_ATTRIBUTES) {
        const value = item[name];
        if (typeof value === 'string' && erasedValues.has(value))
          rewritten[name] = `pseudonym:${pseudonym(value)}`;
      }
      if (ids.lineUserId && item.pk === lineKey(ids.lineUserId))
        rewritten.pk = `PSEUDONYM#${pseudonym(ids.lineUserId)}`;
      if (rewritten.pk === item.pk) {
        // Same key: one Put replaces the item.
        await client.send(new PutCommand({ TableName: tables.audit, Item: rewritten }));
      } else {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Delete: { TableName: tables.audit, Key: { pk: item.pk, sk: item.sk } } },
              { Put: { TableName: tables.audit, Item: rewritten } },
            ],
          }),
        );
      }
      count('audit', 'pseudonymized');
    }
    return report;
  }

  /** Items of `table` with any identifier attribute equal to one of `values` (paginated Scan). */
  private async scanReferencing(table: TableKey, values: ReadonlySet<string>) {
    const names: Record<string, string> = {};
    const attributeValues: Record<string, string> = {};
    const clauses: string[] = [];
    [...values].forEach((value, i) => (attributeValues[`:v${i}`] = value));
    ID_ATTRIBUTES.forEach((attribute, a) => {
      names[`#a${a}`] = attribute;
      for (const key of Object.keys(attributeValues)) clauses.push(`#a${a} = ${key}`);
    });
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.client.send(
        new ScanCommand({
          TableName: this.options.tables[table],
          FilterExpression: clauses.join(' OR '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: attributeValues,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async queryPartition(table: TableKey, pk: string) {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tables[table],
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
