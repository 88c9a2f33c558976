import { PARTS_PER_CHUNK, type AudienceJob, type AudienceJobError } from '../../functions/core/audiences.js';
import { IdempotencyKeyInProgressError, UpstreamError } from '../../functions/core/errors.js';
import type {
  AudienceApi,
  AudienceJobStore,
  IdempotencyClaimRef,
  LinkDirectory,
  ReachableLink,
  ResolvedPart,
} from '../../functions/core/ports/index.js';
import type { InMemoryIdempotencyStore } from './message-fakes.js';

/**
 * In-memory fakes of the audience ports with the adapters' contracts: a part resolved once, a
 * chunk counted once, the audience recorded once; and LINE's audiences, whose create can be made
 * to lose its answer (the audience is made, the caller hears nothing).
 */

type StoredJob = AudienceJob & { actor: string; parts: number; failed?: boolean };

export class InMemoryAudienceJobStore implements AudienceJobStore {
  readonly jobs = new Map<string, StoredJob>();
  readonly parts = new Map<string, { memberIds: string[]; resolved?: ResolvedPart }>();

  constructor(private readonly idempotency?: InMemoryIdempotencyStore) {}

  async create(job: Parameters<AudienceJobStore['create']>[0], claim?: IdempotencyClaimRef) {
    const requested = job.parts.reduce((n, p) => n + p.length, 0);
    const chunks = Math.ceil(job.parts.length / PARTS_PER_CHUNK);
    if (
      claim &&
      !this.idempotency?.recordAnswer(claim, {
        kind: 'job',
        job: { jobId: job.jobId, createdAt: job.createdAt, total: requested, batches: chunks },
      })
    )
      throw new IdempotencyKeyInProgressError(1);
    job.parts.forEach((memberIds, i) => this.parts.set(`${job.jobId}#${i}`, { memberIds: [...memberIds] }));
    this.jobs.set(job.jobId, {
      jobId: job.jobId,
      status: 'running',
      mode: job.mode,
      createdAt: job.createdAt,
      ...(job.description !== undefined ? { description: job.description } : {}),
      ...(job.audienceGroupId !== undefined ? { audienceGroupId: job.audienceGroupId } : {}),
      counts: { requested, linked: 0, notLinked: 0, uploaded: 0 },
      chunks,
      chunksDone: 0,
      createAttempts: 0,
      errors: [],
      actor: job.actor,
      parts: job.parts.length,
    });
  }

  async get(jobId: string) {
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    const { failed, ...rest } = job;
    return structuredClone({
      ...rest,
      status: failed ? 'failed' : job.chunksDone >= job.chunks ? 'done' : 'running',
    } satisfies StoredJob);
  }

  async part(jobId: string, part: number) {
    const stored = this.parts.get(`${jobId}#${part}`);
    return stored && structuredClone(stored);
  }

  async resolvePart(jobId: string, part: number, resolved: ResolvedPart) {
    const stored = this.parts.get(`${jobId}#${part}`)!;
    stored.resolved ??= structuredClone(resolved);
    return structuredClone(stored.resolved);
  }

  async beginCreate(jobId: string) {
    const job = this.jobs.get(jobId)!;
    if (job.audienceGroupId !== undefined)
      return { attempts: job.createAttempts, audienceGroupId: job.audienceGroupId };
    return { attempts: ++job.createAttempts };
  }

  async recordAudience(jobId: string, audienceGroupId: number) {
    const job = this.jobs.get(jobId)!;
    job.audienceGroupId ??= audienceGroupId;
    return job.audienceGroupId;
  }

  async completeChunk(
    jobId: string,
    chunk: number,
    counts: { linked: number; notLinked: number; uploaded: number },
  ) {
    const job = this.jobs.get(jobId)!;
    if (job.chunksDone !== chunk) return false;
    job.chunksDone++;
    job.counts.linked += counts.linked;
    job.counts.notLinked += counts.notLinked;
    job.counts.uploaded += counts.uploaded;
    return true;
  }

  async addError(jobId: string, error: AudienceJobError, final: boolean) {
    const job = this.jobs.get(jobId)!;
    job.errors.push(error);
    if (final) job.failed = true;
  }

  async notLinked(jobId: string, fromPart: number) {
    const memberIds: string[] = [];
    for (let part = fromPart; part < fromPart + 10; part++)
      memberIds.push(...(this.parts.get(`${jobId}#${part}`)?.resolved?.notLinkedMemberIds ?? []));
    return this.parts.has(`${jobId}#${fromPart + 10}`)
      ? { memberIds, nextPart: fromPart + 10 }
      : { memberIds };
  }
}

/** LINE's audiences: every request is recorded; `loseCreateAnswer` / `failAdd` inject faults. */
export class FakeAudienceApi implements AudienceApi {
  readonly audiences = new Map<number, { description: string; userIds: Set<string>; uploads: string[] }>();
  readonly requests: Array<{ kind: 'create' | 'add'; audienceGroupId?: number; size: number }> = [];
  /** The next creates make the audience but their answer is lost. */
  loseCreateAnswer = 0;
  /** The next adds fail before LINE takes them (LINE unavailable after the adapter's retries). */
  failAdd = 0;
  private nextId = 1_000_000_000_001;

  async create(input: { description: string; uploadDescription: string; lineUserIds: readonly string[] }) {
    this.requests.push({ kind: 'create', size: input.lineUserIds.length });
    if (input.lineUserIds.length > 10_000) throw new UpstreamError('line', 'bad-response');
    const id = this.nextId++;
    this.audiences.set(id, {
      description: input.description,
      userIds: new Set(input.lineUserIds),
      uploads: [input.uploadDescription],
    });
    if (this.loseCreateAnswer > 0) {
      this.loseCreateAnswer--;
      throw new UpstreamError('line', 'unavailable', { cause: new Error('No answer from LINE.') });
    }
    return id;
  }

  async add(input: { audienceGroupId: number; uploadDescription: string; lineUserIds: readonly string[] }) {
    this.requests.push({
      kind: 'add',
      audienceGroupId: input.audienceGroupId,
      size: input.lineUserIds.length,
    });
    if (input.lineUserIds.length > 10_000) throw new UpstreamError('line', 'bad-response');
    if (this.failAdd > 0) {
      this.failAdd--;
      throw new UpstreamError('line', 'unavailable', { cause: new Error('LINE answered 503.') });
    }
    const audience = this.audiences.get(input.audienceGroupId);
    if (!audience)
      throw new UpstreamError('line', 'bad-response', {
        cause: new Error('LINE answered 400: audience group not found: AUDIENCE_GROUP_NOT_FOUND'),
      });
    for (const id of input.lineUserIds) audience.userIds.add(id);
    audience.uploads.push(input.uploadDescription);
  }

  async findCreated(input: { description: string; uploadDescription: string }) {
    for (const [id, audience] of this.audiences)
      if (audience.description === input.description && audience.uploads.includes(input.uploadDescription))
        return id;
    return undefined;
  }
}

/** The LINE user ID the fakes give member `id`. */
export function lineUserIdOf(id: string): string {
  return `U${Buffer.from(id).toString('hex').padStart(32, '0').slice(-32)}`;
}

/** Links of the members in `linked` (a Set: fast for large jobs). */
export function linkSet(linked: ReadonlySet<string>): LinkDirectory {
  return {
    async findManyByCompanyUserIds(ids) {
      const found = new Map<string, ReachableLink>();
      for (const id of ids)
        if (linked.has(id))
          found.set(id, {
            companyUserId: id,
            lineUserId: lineUserIdOf(id),
            method: 'oidc',
            linkedAt: '2026-11-01T00:00:00.000Z',
            friend: true,
          });
      return found;
    },
  };
}
