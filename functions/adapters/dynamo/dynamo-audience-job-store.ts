import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { PARTS_PER_CHUNK, type AudienceJob, type AudienceJobError } from '../../core/audiences.js';
import { IdempotencyKeyInProgressError } from '../../core/errors.js';
import type { AudienceJobStore, IdempotencyClaimRef, ResolvedPart } from '../../core/ports/index.js';
import { putInBatches } from './dynamo-batch-put.js';
import { idempotencyAnswerUpdate } from './dynamo-idempotency-store.js';
import { numberAttribute, oldItem, stringAttribute, type PlainItem } from './item-attribute.js';

/** Job records expire a week after the job started (DynamoDB TTL), as message jobs do. */
const JOB_TTL_SECONDS = 7 * 24 * 3600;
/** Parts per page of the not-linked report (10 × 1,000 = 10,000 members at most). */
const PARTS_PER_PAGE = 10;

const jobKey = (jobId: string) => `AUDIENCE#${jobId}`;
const partKey = (part: number) => `PART#${String(part).padStart(6, '0')}`;

/**
 * Audience jobs in the message jobs table (its own key prefix, so the two kinds of job never
 * meet), one partition per job:
 *
 * | sk | attributes |
 * |---|---|
 * | `META` | `kind` (`audience`), `createdAt`, `actor`, `mode`, `description` or `audienceGroupId`, `requested`, `parts`, `chunks`, `chunksDone`, `linked`, `notLinked`, `uploaded`, `createAttempts`, `errors` (list), `failed` |
 * | `PART#000042` | `memberIds` (≤ 1,000); once resolved: `resolved`, `lineUserIds`, `notLinkedMemberIds` |
 *
 * A part is resolved once (conditional on `resolved` being absent; a later run gets the stored
 * resolution back). A chunk is counted once (conditional on `chunksDone` being that chunk), the
 * audience ID recorded once (conditional on it being absent or the same). Everything expires a
 * week after the job started. A job started under an `Idempotency-Key` is recorded as the key's
 * answer in the transaction that writes its `META` (dynamo-idempotency-store.ts).
 */
export class DynamoAudienceJobStore implements AudienceJobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: Parameters<AudienceJobStore['create']>[0], claim?: IdempotencyClaimRef): Promise<void> {
    const expiresAt = Math.floor(Date.parse(job.createdAt) / 1000) + JOB_TTL_SECONDS;
    const pk = jobKey(job.jobId);
    await putInBatches(
      this.client,
      this.tableName,
      job.parts.map((memberIds, part) => ({ pk, sk: partKey(part), memberIds: [...memberIds], expiresAt })),
    );
    const requested = job.parts.reduce((n, p) => n + p.length, 0);
    const chunks = Math.ceil(job.parts.length / PARTS_PER_CHUNK);
    const meta = {
      TableName: this.tableName,
      Item: {
        pk,
        sk: 'META',
        kind: 'audience',
        jobId: job.jobId,
        createdAt: job.createdAt,
        actor: job.actor,
        mode: job.mode,
        ...(job.description !== undefined ? { description: job.description } : {}),
        ...(job.audienceGroupId !== undefined ? { audienceGroupId: job.audienceGroupId } : {}),
        requested,
        parts: job.parts.length,
        chunks,
        chunksDone: 0,
        linked: 0,
        notLinked: 0,
        uploaded: 0,
        createAttempts: 0,
        errors: [],
        expiresAt,
      },
      // A new job; or this same write again (the SDK retrying it after a lost answer), before
      // it was queued and so before any chunk could be done.
      ConditionExpression: 'attribute_not_exists(pk) OR (jobId = :jobId AND chunksDone = :zero)',
      ExpressionAttributeValues: { ':jobId': job.jobId, ':zero': 0 },
    };
    if (!claim) {
      await this.client.send(new PutCommand(meta));
      return;
    }
    const answer = idempotencyAnswerUpdate(this.tableName, claim, {
      kind: 'job',
      job: { jobId: job.jobId, createdAt: job.createdAt, total: requested, batches: chunks },
    });
    try {
      await this.client.send(
        new TransactWriteCommand({ TransactItems: [{ Put: meta }, answer], ClientRequestToken: claim.owner }),
      );
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed'
      )
        // Another attempt took the key over (this one outlived its lease): it creates the job.
        throw new IdempotencyKeyInProgressError(1, { cause: error });
      throw error;
    }
  }

  async get(jobId: string) {
    const meta = await this.item(jobId, 'META');
    if (!meta || meta.kind !== 'audience') return undefined;
    const num = (name: string) => numberAttribute(meta, name) ?? 0;
    const description = stringAttribute(meta, 'description');
    const audienceGroupId = numberAttribute(meta, 'audienceGroupId');
    const job: AudienceJob & { actor: string; parts: number } = {
      jobId,
      status: meta.failed === true ? 'failed' : num('chunksDone') >= num('chunks') ? 'done' : 'running',
      mode: meta.mode === 'add' ? 'add' : 'create',
      createdAt: String(meta.createdAt),
      ...(description !== undefined ? { description } : {}),
      ...(audienceGroupId !== undefined ? { audienceGroupId } : {}),
      counts: {
        requested: num('requested'),
        linked: num('linked'),
        notLinked: num('notLinked'),
        uploaded: num('uploaded'),
      },
      chunks: num('chunks'),
      chunksDone: num('chunksDone'),
      createAttempts: num('createAttempts'),
      errors: Array.isArray(meta.errors) ? (meta.errors as AudienceJobError[]) : [],
      actor: String(meta.actor),
      parts: num('parts'),
    };
    return job;
  }

  async part(jobId: string, part: number) {
    const item = await this.item(jobId, partKey(part));
    if (!item) return undefined;
    return {
      memberIds: (item.memberIds as string[] | undefined) ?? [],
      ...(item.resolved === true ? { resolved: resolvedOf(item) } : {}),
    };
  }

  async resolvePart(jobId: string, part: number, resolved: ResolvedPart): Promise<ResolvedPart> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: jobKey(jobId), sk: partKey(part) },
          UpdateExpression: 'SET resolved = :true, lineUserIds = :linked, notLinkedMemberIds = :notLinked',
          // Resolved once: a later run (or this write sent again) gets the stored resolution.
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(resolved)',
          ExpressionAttributeValues: {
            ':true': true,
            ':linked': resolved.lineUserIds,
            ':notLinked': resolved.notLinkedMemberIds,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return resolved;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = oldItem(error.Item);
      if (!old) throw new Error(`Audience job ${jobId} has no part ${part}.`, { cause: error });
      return resolvedOf(old);
    }
  }

  async beginCreate(jobId: string): Promise<{ attempts: number; audienceGroupId?: number }> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: jobKey(jobId), sk: 'META' },
          // Counted before the request goes to LINE. The SDK sending this again after a lost
          // answer counts it twice: the run then looks for the audience before creating, which
          // costs a lookup and nothing else.
          UpdateExpression: 'ADD createAttempts :one',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(audienceGroupId)',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { attempts: numberAttribute(result.Attributes ?? {}, 'createAttempts') ?? 1 };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = oldItem(error.Item);
      const audienceGroupId = old && numberAttribute(old, 'audienceGroupId');
      if (audienceGroupId === undefined) throw new Error(`No audience job ${jobId}.`, { cause: error });
      return { attempts: numberAttribute(old!, 'createAttempts') ?? 0, audienceGroupId };
    }
  }

  async recordAudience(jobId: string, audienceGroupId: number): Promise<number> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: jobKey(jobId), sk: 'META' },
          UpdateExpression: 'SET audienceGroupId = :id',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(audienceGroupId) OR audienceGroupId = :id)',
          ExpressionAttributeValues: { ':id': audienceGroupId },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return audienceGroupId;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const recorded = oldItem(error.Item) && numberAttribute(oldItem(error.Item)!, 'audienceGroupId');
      if (recorded === undefined) throw new Error(`No audience job ${jobId}.`, { cause: error });
      return recorded;
    }
  }

  async completeChunk(
    jobId: string,
    chunk: number,
    counts: { linked: number; notLinked: number; uploaded: number },
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: jobKey(jobId), sk: 'META' },
          UpdateExpression: 'ADD chunksDone :one, linked :linked, notLinked :notLinked, uploaded :uploaded',
          // This chunk is the next one: counted once, also when a second run reaches it too.
          ConditionExpression: 'chunksDone = :chunk',
          ExpressionAttributeValues: {
            ':one': 1,
            ':chunk': chunk,
            ':linked': counts.linked,
            ':notLinked': counts.notLinked,
            ':uploaded': counts.uploaded,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async addError(jobId: string, error: AudienceJobError, final: boolean): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: jobKey(jobId), sk: 'META' },
        UpdateExpression: `SET errors = list_append(if_not_exists(errors, :empty), :error)${final ? ', failed = :true' : ''}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: {
          ':empty': [],
          ':error': [{ code: error.code, detail: error.detail, at: error.at }],
          ...(final ? { ':true': true } : {}),
        },
      }),
    );
  }

  async notLinked(jobId: string, fromPart: number) {
    const memberIds: string[] = [];
    let items = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': jobKey(jobId),
            ':from': partKey(fromPart),
            ':to': partKey(fromPart + PARTS_PER_PAGE - 1),
          },
          ProjectionExpression: 'sk, resolved, notLinkedMemberIds',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        items++;
        if (item.resolved === true) memberIds.push(...((item.notLinkedMemberIds as string[]) ?? []));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items === PARTS_PER_PAGE ? { memberIds, nextPart: fromPart + PARTS_PER_PAGE } : { memberIds };
  }

  private async item(jobId: string, sk: string): Promise<PlainItem | undefined> {
    return (
      await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: jobKey(jobId), sk }, ConsistentRead: true }),
      )
    ).Item;
  }
}

function resolvedOf(item: PlainItem): ResolvedPart {
  return {
    lineUserIds: (item.lineUserIds as string[] | undefined) ?? [],
    notLinkedMemberIds: (item.notLinkedMemberIds as string[] | undefined) ?? [],
  };
}
