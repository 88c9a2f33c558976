import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IdempotencyKeyInProgressError } from '../../core/errors.js';
import { MEMBER_SEND_STATUSES, type MemberSendStatus } from '../../core/member-messages.js';
import type {
  IdempotencyClaim,
  IdempotencyClaimRef,
  IdempotencyClaimRequest,
  IdempotencyStore,
  IdempotentSendAnswer,
} from '../../core/ports/index.js';
import {
  booleanAttribute,
  numberAttribute,
  oldItem,
  stringAttribute,
  type PlainItem,
} from './item-attribute.js';

/** Sort key of an idempotency record (the jobs table has `pk` and `sk`). */
const RECORD_SK = 'IDEMPOTENCY';

/**
 * Key of a caller's idempotency record: `IDEMPOTENCY#<SHA-256 of the principal ARN, base64url>#<key>`.
 * The principal is hashed so that every key has the same fixed-length prefix (a `#` in a key
 * cannot make two callers' keys meet) and the ARN is not repeated in every key.
 */
export function idempotencyRecordKey(scope: string, key: string): { pk: string; sk: string } {
  const principal = createHash('sha256').update(scope, 'utf8').digest('base64url');
  return { pk: `IDEMPOTENCY#${principal}#${key}`, sk: RECORD_SK };
}

/** `owner` is a DynamoDB reserved word. */
const NAMES = { '#owner': 'owner' };

/**
 * The transaction item that records `answer` on a claim still held by `ref.owner`: written in
 * the same transaction as the job it names (DynamoMessageJobStore.create), so that a job the key
 * started is never lost by an attempt that dies right after creating it.
 */
export function idempotencyAnswerUpdate(
  tableName: string,
  ref: IdempotencyClaimRef,
  answer: IdempotentSendAnswer,
) {
  return {
    Update: {
      TableName: tableName,
      Key: idempotencyRecordKey(ref.scope, ref.key),
      UpdateExpression: 'SET answer = :answer',
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: { ':answer': encodeAnswer(answer), ':owner': ref.owner },
    },
  };
}

/**
 * `Idempotency-Key` records of `POST /admin/messages`, in the jobs table (TTL `expiresAt`):
 *
 * | pk | sk | attributes |
 * |---|---|---|
 * | `IDEMPOTENCY#<principal hash>#<key>` | `IDEMPOTENCY` | `fingerprint`, `owner`, `operationId`, `leaseUntil`, `expiresAt`, `createdAt`, `answer` (once known), `done` (once final) |
 *
 * `answer` is `{status: 200, statuses: [...]}` (one status per distinct recipient, in request
 * order; the recipients themselves are not stored: the same key only ever comes back with the
 * same body, which names them) or `{status: 202, jobId, createdAt, total, batches}`. No member ID
 * is stored.
 *
 * Every write is conditional and recognises a retry of itself by the attempt's owner token: the
 * claim's PutItem passes when the record is absent, expired (TTL deletes lazily) or already
 * this owner's (the SDK sending it again after a lost answer); a take-over's UpdateItem passes
 * for the lapsed owner it read or for itself; completing and releasing require the owner.
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(request: IdempotencyClaimRequest): Promise<IdempotencyClaim> {
    const Key = idempotencyRecordKey(request.scope, request.key);
    const nowSec = Math.floor(request.now.getTime() / 1000);
    // A claim can find the record changing under it (another attempt finishing or taking
    // over); each round reads the record as the failed condition returned it.
    for (let round = 0; round < 3; round++) {
      let old: PlainItem | undefined;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...Key,
              fingerprint: request.fingerprint,
              owner: request.owner,
              operationId: request.operationId,
              leaseUntil: Math.ceil(request.leaseUntil.getTime() / 1000),
              expiresAt: Math.ceil(request.expiresAt.getTime() / 1000),
              createdAt: request.now.toISOString(),
            },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now OR #owner = :owner',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':now': nowSec, ':owner': request.owner },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { outcome: 'claimed', operationId: request.operationId, resumed: false };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        old = oldItem(error.Item);
      }
      if (!old) continue; // gone in between (TTL): claim it afresh
      if (stringAttribute(old, 'fingerprint') !== request.fingerprint) return { outcome: 'mismatch' };
      const answer = decodeAnswer(old.answer);
      if (booleanAttribute(old, 'done') === true && answer) return { outcome: 'completed', answer };
      const leaseUntil = numberAttribute(old, 'leaseUntil') ?? 0;
      if (leaseUntil > nowSec) return { outcome: 'in-progress', leaseUntil: new Date(leaseUntil * 1000) };
      const taken = await this.takeOver(request, Key, stringAttribute(old, 'owner') ?? '', nowSec);
      if (taken) return taken;
    }
    throw new IdempotencyKeyInProgressError(1);
  }

  /** Takes over a claim whose lease lapsed, keeping its operation ID and recorded answer. */
  private async takeOver(
    request: IdempotencyClaimRequest,
    Key: { pk: string; sk: string },
    previousOwner: string,
    nowSec: number,
  ): Promise<IdempotencyClaim | undefined> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression: 'SET #owner = :owner, leaseUntil = :lease',
          // The lapsed owner read a moment ago, still lapsed and not done, or (the SDK sending
          // this again after a lost answer) already this attempt.
          ConditionExpression:
            '(#owner = :previous AND leaseUntil <= :now AND attribute_not_exists(done) AND fingerprint = :fingerprint) OR #owner = :owner',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: {
            ':owner': request.owner,
            ':previous': previousOwner,
            ':lease': Math.ceil(request.leaseUntil.getTime() / 1000),
            ':now': nowSec,
            ':fingerprint': request.fingerprint,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = result.Attributes ?? {};
      const operationId = stringAttribute(item, 'operationId');
      if (!operationId) throw new Error('An idempotency record without its operation ID.');
      const answer = decodeAnswer(item.answer);
      return { outcome: 'claimed', operationId, resumed: true, ...(answer ? { answer } : {}) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async complete(ref: IdempotencyClaimRef, answer: IdempotentSendAnswer): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: idempotencyRecordKey(ref.scope, ref.key),
          UpdateExpression: 'SET answer = :answer, done = :true REMOVE leaseUntil',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':answer': encodeAnswer(answer), ':true': true, ':owner': ref.owner },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(ref: IdempotencyClaimRef): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: idempotencyRecordKey(ref.scope, ref.key),
          UpdateExpression: 'SET leaseUntil = :zero',
          ConditionExpression: '#owner = :owner AND attribute_not_exists(done)',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':zero': 0, ':owner': ref.owner },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

function encodeAnswer(answer: IdempotentSendAnswer): Record<string, unknown> {
  return answer.kind === 'sent' ? { status: 200, statuses: answer.statuses } : { status: 202, ...answer.job };
}

function decodeAnswer(value: unknown): IdempotentSendAnswer | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const item = value as PlainItem;
  const status = numberAttribute(item, 'status');
  if (status === 200 && Array.isArray(item.statuses)) {
    const statuses = item.statuses as unknown[];
    if (!statuses.every((s) => MEMBER_SEND_STATUSES.includes(s as MemberSendStatus))) return undefined;
    return { kind: 'sent', statuses: statuses as MemberSendStatus[] };
  }
  const jobId = stringAttribute(item, 'jobId');
  const createdAt = stringAttribute(item, 'createdAt');
  const total = numberAttribute(item, 'total');
  const batches = numberAttribute(item, 'batches');
  if (status === 202 && jobId && createdAt && total !== undefined && batches !== undefined)
    return { kind: 'job', job: { jobId, createdAt, total, batches } };
  return undefined;
}
