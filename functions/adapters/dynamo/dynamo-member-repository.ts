import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  ScanCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isMemberFactor } from '../../core/member-factors.js';
import type {
  FactorHashes,
  ImportedMember,
  MemberImportStore,
  MemberRecord,
  MemberRecordRepository,
} from '../../core/ports/index.js';

/** Partition key of a member record in the members table. */
export const memberKey = (memberId: string) => `MEMBER#${memberId}`;
const MEMBER_PREFIX = 'MEMBER#';

/** A member record as the import writes it (the core's {@link ImportedMember}). */
export type StoredMember = ImportedMember;

/** BatchWriteItem takes at most 25 requests, BatchGetItem at most 100 keys. */
export const BATCH_WRITE_LIMIT = 25;
export const BATCH_GET_LIMIT = 100;

type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** Options of {@link DynamoMemberRepository}. */
export interface DynamoMemberRepositoryOptions {
  /** How often unprocessed items/keys are sent again before giving up (with exponential back-off). */
  maxBatchRetries?: number;
  /** First back-off delay in ms (doubles each retry, with jitter). */
  baseBackoffMs?: number;
}

/**
 * Imported member records (pattern 3) in DynamoDB, one item per member:
 *
 * | attribute | value |
 * |---|---|
 * | `pk` | `MEMBER#<memberId>` |
 * | `memberId`, `companyUserId` | identifiers |
 * | `factors` | map factor → keyed hash (HMAC-SHA256 with the pepper, base64url); never a value |
 * | `contentHash` | hash of `companyUserId` and `factors`, for differential re-imports |
 * | `importedAt` | ISO instant of the import that last wrote the record |
 *
 * Lookups serve verification; the batch methods serve the import. They take any number of
 * members: DynamoDB's batch limits ({@link BATCH_WRITE_LIMIT}, {@link BATCH_GET_LIMIT}) are this
 * adapter's business, so it splits the members into requests of that size, sends them one after
 * another (the import counts one call as one request in flight) and retries unprocessed items
 * and keys with exponential back-off and jitter.
 */
export class DynamoMemberRepository implements MemberRecordRepository, MemberImportStore {
  private readonly maxBatchRetries: number;
  private readonly baseBackoffMs: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    options: DynamoMemberRepositoryOptions = {},
  ) {
    this.maxBatchRetries = options.maxBatchRetries ?? 10;
    this.baseBackoffMs = options.baseBackoffMs ?? 50;
  }

  async findByMemberId(memberId: string): Promise<MemberRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: memberKey(memberId) },
        ProjectionExpression: 'memberId, companyUserId, factors',
      }),
    );
    return toRecord(result.Item);
  }

  /**
   * Stored content hashes of any number of members (absent members are absent from the map):
   * one BatchGetItem of up to {@link BATCH_GET_LIMIT} keys after another, never two at once.
   */
  async contentHashes(memberIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const ids of chunks(memberIds, BATCH_GET_LIMIT)) await this.batchGet(ids, found);
    return found;
  }

  /** One BatchGetItem of at most {@link BATCH_GET_LIMIT} keys, unprocessed keys read again. */
  private async batchGet(memberIds: readonly string[], found: Map<string, string>): Promise<void> {
    let keys: Array<Record<string, unknown>> = memberIds.map((id) => ({ pk: memberKey(id) }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > this.maxBatchRetries)
        throw new Error(`BatchGetItem left ${keys.length} keys unprocessed after retries.`);
      if (attempt > 0) await this.backoff(attempt);
      const result = await this.client.send(
        new BatchGetCommand({
          RequestItems: {
            [this.tableName]: { Keys: keys, ProjectionExpression: 'memberId, contentHash' },
          },
        }),
      );
      for (const item of result.Responses?.[this.tableName] ?? []) {
        if (typeof item.memberId === 'string' && typeof item.contentHash === 'string') {
          found.set(item.memberId, item.contentHash);
        }
      }
      keys = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Array<Record<string, unknown>>;
    }
  }

  /** Writes any number of records (whole-item puts), in BatchWriteItem requests one after another. */
  async putMembers(members: readonly StoredMember[], importedAt: string): Promise<void> {
    await this.batchWrite(
      members.map((m) => ({
        PutRequest: {
          Item: {
            pk: memberKey(m.memberId),
            memberId: m.memberId,
            companyUserId: m.companyUserId,
            factors: m.factorHashes,
            contentHash: m.contentHash,
            importedAt,
          },
        },
      })),
    );
  }

  /** Deletes any number of records, in BatchWriteItem requests one after another. */
  async deleteMembers(memberIds: readonly string[]): Promise<void> {
    await this.batchWrite(memberIds.map((id) => ({ DeleteRequest: { Key: { pk: memberKey(id) } } })));
  }

  /** Member IDs of one segment of a parallel scan, page by page (only keys are read). */
  async *scanMemberIds(segment: number, totalSegments: number): AsyncGenerator<string[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          Segment: segment,
          TotalSegments: totalSegments,
          ProjectionExpression: 'pk',
          ExclusiveStartKey: startKey,
        }),
      );
      const ids = (page.Items ?? [])
        .map((item) => item.pk)
        .filter((pk): pk is string => typeof pk === 'string' && pk.startsWith(MEMBER_PREFIX))
        .map((pk) => pk.slice(MEMBER_PREFIX.length));
      if (ids.length) yield ids;
      startKey = page.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (startKey);
  }

  /** True when the table holds at least one member record (a first import can skip the reads). */
  async hasMembers(): Promise<boolean> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          Limit: 25,
          ProjectionExpression: 'pk',
          ExclusiveStartKey: startKey,
        }),
      );
      if ((page.Items ?? []).some((item) => typeof item.pk === 'string' && item.pk.startsWith(MEMBER_PREFIX)))
        return true;
      startKey = page.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (startKey);
    return false;
  }

  /**
   * The requests in BatchWriteItem calls of at most {@link BATCH_WRITE_LIMIT}, one after another
   * (a caller's one call is one request in flight), unprocessed items sent again.
   */
  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    for (const chunk of chunks(requests, BATCH_WRITE_LIMIT)) {
      let pending = chunk;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > this.maxBatchRetries)
          throw new Error(`BatchWriteItem left ${pending.length} items unprocessed after retries.`);
        if (attempt > 0) await this.backoff(attempt);
        const result = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = result.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
  }

  /** Exponential back-off with full jitter, capped at 5 s. */
  private backoff(attempt: number): Promise<void> {
    const ms = Math.random() * Math.min(5000, this.baseBackoffMs * 2 ** (attempt - 1));
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/** `items` in consecutive slices of at most `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const slices: T[][] = [];
  for (let i = 0; i < items.length; i += size) slices.push(items.slice(i, i + size));
  return slices;
}

function toRecord(item: Record<string, unknown> | undefined): MemberRecord | undefined {
  if (!item || typeof item.memberId !== 'string' || typeof item.companyUserId !== 'string') return undefined;
  const factorHashes: FactorHashes = {};
  const factors = item.factors;
  if (factors && typeof factors === 'object') {
    for (const [name, hash] of Object.entries(factors as Record<string, unknown>)) {
      if (isMemberFactor(name) && typeof hash === 'string') factorHashes[name] = hash;
    }
  }
  return { memberId: item.memberId, companyUserId: item.companyUserId, factorHashes };
}
