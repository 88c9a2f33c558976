import { IdempotencyKeyInProgressError } from '../../functions/core/errors.js';
import {
  summarize,
  type JobBatchRef,
  type LineMessage,
  type MemberSendResult,
  type MessageJob,
} from '../../functions/core/member-messages.js';
import type {
  AdminAuditEvent,
  AdminAuditLog,
  IdempotencyClaim,
  IdempotencyClaimRef,
  IdempotencyClaimRequest,
  IdempotencyStore,
  IdempotentSendAnswer,
  JobQueue,
  LinkDirectory,
  MessageJobStore,
  MulticastSender,
  ReachableLink,
} from '../../functions/core/ports/index.js';

/**
 * In-memory fakes of the ports of messages to members, with the adapters' contracts:
 * idempotency records claimed once per key (an owner recognises its own claim, a lapsed lease
 * is taken over with its operation ID), a job created with its key's answer in one step, and a
 * Messaging API that accepts each retry key once, as LINE does.
 */

/** One stored idempotency record. */
export interface FakeIdempotencyRecord {
  fingerprint: string;
  owner: string;
  operationId: string;
  /** Epoch seconds, as the adapter stores them. */
  leaseUntil: number;
  expiresAt: number;
  answer?: IdempotentSendAnswer;
  done?: boolean;
}

export class InMemoryIdempotencyStore implements IdempotencyStore {
  readonly records = new Map<string, FakeIdempotencyRecord>();
  /** Every call, for assertions: `claim:<outcome>`, `complete`, `release`. */
  readonly calls: string[] = [];

  static id(ref: { scope: string; key: string }): string {
    return `${ref.scope}\n${ref.key}`;
  }

  async claim(request: IdempotencyClaimRequest): Promise<IdempotencyClaim> {
    const outcome = this.claimNow(request);
    this.calls.push(
      `claim:${outcome.outcome}${outcome.outcome === 'claimed' && outcome.resumed ? ':resumed' : ''}`,
    );
    return outcome;
  }

  private claimNow(request: IdempotencyClaimRequest): IdempotencyClaim {
    const id = InMemoryIdempotencyStore.id(request);
    const nowSec = Math.floor(request.now.getTime() / 1000);
    const old = this.records.get(id);
    if (!old || old.expiresAt <= nowSec || old.owner === request.owner) {
      this.records.set(id, {
        fingerprint: request.fingerprint,
        owner: request.owner,
        operationId: request.operationId,
        leaseUntil: Math.ceil(request.leaseUntil.getTime() / 1000),
        expiresAt: Math.ceil(request.expiresAt.getTime() / 1000),
      });
      return { outcome: 'claimed', operationId: request.operationId, resumed: false };
    }
    if (old.fingerprint !== request.fingerprint) return { outcome: 'mismatch' };
    if (old.done && old.answer) return { outcome: 'completed', answer: old.answer };
    if (old.leaseUntil > nowSec)
      return { outcome: 'in-progress', leaseUntil: new Date(old.leaseUntil * 1000) };
    old.owner = request.owner;
    old.leaseUntil = Math.ceil(request.leaseUntil.getTime() / 1000);
    return {
      outcome: 'claimed',
      operationId: old.operationId,
      resumed: true,
      ...(old.answer ? { answer: old.answer } : {}),
    };
  }

  /** What the job store does in the write that creates the job. */
  recordAnswer(ref: IdempotencyClaimRef, answer: IdempotentSendAnswer): boolean {
    const record = this.records.get(InMemoryIdempotencyStore.id(ref));
    if (record?.owner !== ref.owner) return false;
    record.answer = answer;
    return true;
  }

  async complete(ref: IdempotencyClaimRef, answer: IdempotentSendAnswer): Promise<boolean> {
    this.calls.push('complete');
    const record = this.records.get(InMemoryIdempotencyStore.id(ref));
    if (record?.owner !== ref.owner) return false;
    Object.assign(record, { answer, done: true, leaseUntil: 0 });
    return true;
  }

  async release(ref: IdempotencyClaimRef): Promise<void> {
    this.calls.push('release');
    const record = this.records.get(InMemoryIdempotencyStore.id(ref));
    if (record?.owner === ref.owner && !record.done) record.leaseUntil = 0;
  }
}

/** Jobs in memory; `create` with a claim records the job as the key's answer in the same step. */
export class InMemoryMessageJobStore implements MessageJobStore {
  readonly jobs = new Map<
    string,
    {
      meta: MessageJob;
      messages: LineMessage[];
      batches: Array<{ ids: string[]; results?: MemberSendResult[] }>;
    }
  >();

  constructor(private readonly idempotency?: InMemoryIdempotencyStore) {}

  async create(job: Parameters<MessageJobStore['create']>[0], claim?: IdempotencyClaimRef): Promise<void> {
    const total = job.batches.reduce((n, b) => n + b.length, 0);
    if (claim) {
      const recorded = this.idempotency?.recordAnswer(claim, {
        kind: 'job',
        job: { jobId: job.jobId, createdAt: job.createdAt, total, batches: job.batches.length },
      });
      if (!recorded) throw new IdempotencyKeyInProgressError(1);
    }
    if (this.jobs.has(job.jobId)) throw new Error(`job ${job.jobId} exists`);
    this.jobs.set(job.jobId, {
      meta: {
        jobId: job.jobId,
        status: 'running',
        createdAt: job.createdAt,
        total,
        batches: job.batches.length,
        batchesDone: 0,
        counts: { sent: 0, 'not-linked': 0, 'not-friend': 0, failed: 0 },
      },
      messages: [...job.messages],
      batches: job.batches.map((ids) => ({ ids: [...ids] })),
    });
  }

  async get(jobId: string): Promise<MessageJob | undefined> {
    const job = this.jobs.get(jobId);
    return job && { ...job.meta, status: job.meta.batchesDone >= job.meta.batches ? 'done' : 'running' };
  }

  async batch(ref: JobBatchRef) {
    const job = this.jobs.get(ref.jobId);
    const batch = job?.batches[ref.batch];
    return job && batch
      ? { messages: job.messages, companyUserIds: batch.ids, done: batch.results !== undefined }
      : undefined;
  }

  async completeBatch(ref: JobBatchRef, results: readonly MemberSendResult[]): Promise<boolean> {
    const job = this.jobs.get(ref.jobId)!;
    const batch = job.batches[ref.batch]!;
    if (batch.results) return false;
    batch.results = [...results];
    job.meta.batchesDone++;
    const counts = summarize(results);
    for (const status of Object.keys(counts) as Array<keyof typeof counts>)
      job.meta.counts[status] += counts[status];
    return true;
  }

  async results(jobId: string, fromBatch: number) {
    const job = this.jobs.get(jobId)!;
    return { results: job.batches.slice(fromBatch).flatMap((b) => b.results ?? []) };
  }
}

/** Records what is queued. */
export class RecordingJobQueue implements JobQueue {
  readonly enqueued: JobBatchRef[] = [];
  async enqueue(batches: readonly JobBatchRef[]): Promise<void> {
    this.enqueued.push(...batches);
  }
}

/** Records admin audit events; `fail` makes the next one throw (a storage failure). */
export class RecordingAdminAudit implements AdminAuditLog {
  readonly events: AdminAuditEvent[] = [];
  fail = 0;
  async recordAdmin(event: AdminAuditEvent): Promise<void> {
    if (this.fail > 0) {
      this.fail--;
      throw new Error('audit table unavailable');
    }
    this.events.push({ ...event });
  }
}

/**
 * The Messaging API as LINE keeps it: each retry key is accepted once (a repeat is "already
 * accepted", which the real adapter reports as sent); `deliveries` are the accepted requests.
 * `fail` makes the next requests fail for good without being accepted.
 */
export class FakeMulticast implements MulticastSender {
  readonly requests: Array<{ to: string[]; retryKey: string }> = [];
  readonly deliveries: Array<{ to: string[]; retryKey: string }> = [];
  fail = 0;
  async multicast(to: readonly string[], _messages: readonly LineMessage[], retryKey: string): Promise<void> {
    this.requests.push({ to: [...to], retryKey });
    if (this.fail > 0) {
      this.fail--;
      throw new Error('LINE unavailable');
    }
    if (this.deliveries.some((d) => d.retryKey === retryKey)) return;
    this.deliveries.push({ to: [...to], retryKey });
  }
}

/** Links of members `M0`…; `friend: false` for those listed. */
export function linkDirectory(linked: readonly string[], notFriends: readonly string[] = []): LinkDirectory {
  return {
    async findManyByCompanyUserIds(ids) {
      const found = new Map<string, ReachableLink>();
      for (const id of ids) {
        if (!linked.includes(id)) continue;
        found.set(id, {
          companyUserId: id,
          lineUserId: `U${Buffer.from(id).toString('hex').padStart(32, '0').slice(-32)}`,
          method: 'oidc',
          linkedAt: '2026-11-01T00:00:00.000Z',
          friend: notFriends.includes(id) ? false : true,
        });
      }
      return found;
    },
  };
}
