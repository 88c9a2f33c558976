import {
  MEMBERS_PER_PART,
  PARTS_PER_CHUNK,
  uploadDescriptionFor,
  type AudienceJob,
  type AudienceRequest,
} from '../audiences.js';
import { AudienceJobNotFoundError, DomainError, UpstreamError } from '../errors.js';
import type { JobBatchRef } from '../member-messages.js';
import type {
  AdminAuditLog,
  AudienceApi,
  AudienceJobStore,
  Clock,
  IdempotencyClaimRef,
  IdempotencyStore,
  JobQueue,
  LinkDirectory,
  ResolvedPart,
} from '../ports/index.js';
import type { AdminCaller } from './admin-links.js';
import { claimIdempotencyKey } from './idempotency-claim.js';

/** Ports of {@link startAudienceJob}. */
export interface StartAudienceJobPorts {
  jobs: AudienceJobStore;
  queue: JobQueue;
  audit: AdminAuditLog;
  clock: Clock;
  idempotency: IdempotencyStore;
  /** A fresh random ID (UUID): job IDs, claim owner tokens. */
  newId: () => string;
}

/** The first answer of `POST /admin/audiences`: the job, as it stands when it starts. */
function startedJob(request: AudienceRequest, jobId: string, createdAt: string): AudienceJob {
  const parts = Math.ceil(request.memberIds.length / MEMBERS_PER_PART);
  return {
    jobId,
    status: 'running',
    mode: request.mode,
    createdAt,
    ...(request.mode === 'create'
      ? { description: request.description }
      : { audienceGroupId: request.audienceGroupId }),
    counts: { requested: request.memberIds.length, linked: 0, notLinked: 0, uploaded: 0 },
    chunks: Math.ceil(parts / PARTS_PER_CHUNK),
    chunksDone: 0,
    createAttempts: 0,
    errors: [],
  };
}

/**
 * `POST /admin/audiences`: stores the job (its members in parts of 1,000), audits it with the
 * caller, and queues it; the worker ({@link runAudienceJob}) does the rest.
 *
 * With an `Idempotency-Key`, as for `POST /admin/messages`: the same key and request give the
 * same job again and start nothing new; the job is recorded as the key's answer in the write that
 * creates it, and an attempt that resumes after one died queues the same job again (the worker
 * does each chunk's work once).
 */
export async function startAudienceJob(
  request: AudienceRequest,
  caller: AdminCaller,
  ports: StartAudienceJobPorts,
  idempotency?: { key: string; fingerprint: string },
): Promise<AudienceJob> {
  if (!idempotency) return createJob(request, caller, ports, ports.newId());
  const { ref, claim } = await claimIdempotencyKey(caller, idempotency, ports);
  if (claim.outcome === 'completed') {
    if (claim.answer.kind !== 'job')
      throw new Error('The stored answer of this Idempotency-Key is not a job.');
    return startedJob(request, claim.answer.job.jobId, claim.answer.job.createdAt);
  }
  try {
    let job: AudienceJob;
    if (claim.answer?.kind === 'job') {
      job = startedJob(request, claim.answer.job.jobId, claim.answer.job.createdAt);
      await ports.queue.enqueue([{ jobId: job.jobId, batch: 0 }]);
    } else {
      job = await createJob(request, caller, ports, claim.operationId, ref);
    }
    await ports.idempotency.complete(ref, {
      kind: 'job',
      job: { jobId: job.jobId, createdAt: job.createdAt, total: job.counts.requested, batches: job.chunks },
    });
    return job;
  } catch (error) {
    await ports.idempotency.release(ref).catch(() => undefined);
    throw error;
  }
}

async function createJob(
  request: AudienceRequest,
  caller: AdminCaller,
  ports: StartAudienceJobPorts,
  jobId: string,
  claim?: IdempotencyClaimRef,
): Promise<AudienceJob> {
  const createdAt = ports.clock.now().toISOString();
  const parts: string[][] = [];
  for (let i = 0; i < request.memberIds.length; i += MEMBERS_PER_PART)
    parts.push(request.memberIds.slice(i, i + MEMBERS_PER_PART));
  await ports.jobs.create(
    {
      jobId,
      createdAt,
      actor: caller.arn,
      mode: request.mode,
      ...(request.mode === 'create'
        ? { description: request.description }
        : { audienceGroupId: request.audienceGroupId }),
      parts,
    },
    claim,
  );
  await ports.audit.recordAdmin({
    action: 'audience',
    at: createdAt,
    actor: caller.arn,
    outcome: 'job-started',
    recipients: request.memberIds.length,
    jobId,
  });
  await ports.queue.enqueue([{ jobId, batch: 0 }]);
  return startedJob(request, jobId, createdAt);
}

/** Ports of {@link runAudienceJob}. */
export interface RunAudienceJobPorts {
  jobs: AudienceJobStore;
  links: LinkDirectory;
  audiences: AudienceApi;
  audit: AdminAuditLog;
  clock: Clock;
}

/** What a run of the worker came to. */
export type AudienceRunOutcome =
  /** Nothing is left to do (done, failed, or an unknown job). */
  | 'finished'
  /** Time ran out between chunks: queue the job again to go on. */
  | 'paused';

/**
 * Runs a job from its first chunk not done (the worker): each chunk resolves its parts' members
 * to LINE user IDs (stored once, so a rerun uploads the same users), uploads the linked ones in
 * one request of at most 10,000 (creating the audience with the first, adding the others), and is
 * then counted into the job. Not-linked members are counted and kept for the report, never sent.
 *
 * A run that dies goes on from the next chunk not counted: a chunk uploaded but not yet counted
 * is uploaded again, which LINE takes as the same users added again. Creating the audience is the
 * one step a rerun must not repeat blindly: each create request is counted before it is sent, and
 * a run that finds an earlier request counted but no audience ID recorded first looks the audience
 * up by the job's upload description ({@link AudienceApi.findCreated}); it creates only when
 * LINE has none. Should two audiences still come of it, the job reports `duplicate-audience`.
 *
 * `hasTime` is asked before each chunk: a run near its time limit stops and is queued again.
 * LINE refusing a request for good (a 4xx: an unknown audience, the 1,000 audiences limit) ends
 * the job as `failed` with LINE's reason; a failure that may pass (LINE unavailable after the
 * adapter's back-off) is noted on the job and thrown, so the queue delivers it again.
 */
export async function runAudienceJob(
  ref: JobBatchRef,
  ports: RunAudienceJobPorts,
  hasTime: () => boolean = () => true,
): Promise<AudienceRunOutcome> {
  let job = await ports.jobs.get(ref.jobId);
  if (!job || job.status !== 'running') return 'finished';
  const uploadDescription = uploadDescriptionFor(job.jobId);

  for (let chunk = job.chunksDone; chunk < job.chunks; chunk++) {
    if (!hasTime()) return 'paused';
    const lineUserIds: string[] = [];
    let notLinked = 0;
    const lastPart = Math.min((chunk + 1) * PARTS_PER_CHUNK, job.parts);
    for (let part = chunk * PARTS_PER_CHUNK; part < lastPart; part++) {
      const resolved = await resolvePart(job.jobId, part, ports);
      lineUserIds.push(...resolved.lineUserIds);
      notLinked += resolved.notLinkedMemberIds.length;
    }
    try {
      if (lineUserIds.length > 0) {
        if (job.audienceGroupId === undefined) {
          job.audienceGroupId = await createOnce(job, uploadDescription, lineUserIds, ports);
        } else {
          await ports.audiences.add({ audienceGroupId: job.audienceGroupId, uploadDescription, lineUserIds });
        }
      }
    } catch (error) {
      const final = error instanceof UpstreamError && error.kind === 'bad-response';
      await ports.jobs.addError(job.jobId, errorEntry(error, ports.clock), final);
      if (final) {
        await audit(job, 'failed', ports);
        return 'finished';
      }
      throw error;
    }
    const counted = await ports.jobs.completeChunk(job.jobId, chunk, {
      linked: lineUserIds.length,
      notLinked,
      uploaded: lineUserIds.length,
    });
    if (counted && chunk === job.chunks - 1) {
      const done = await ports.jobs.get(ref.jobId);
      if (done) await audit(done, 'done', ports);
    } else if (!counted) {
      // Another run counted this chunk (a redelivery overlapping this one): go on from its state.
      const latest = await ports.jobs.get(ref.jobId);
      if (!latest || latest.status !== 'running') return 'finished';
      job = latest;
      chunk = job.chunksDone - 1;
    }
  }
  return 'finished';
}

/** A part's resolution: stored by an earlier run, or made now and stored. */
async function resolvePart(jobId: string, part: number, ports: RunAudienceJobPorts): Promise<ResolvedPart> {
  const stored = await ports.jobs.part(jobId, part);
  if (!stored) throw new Error(`Audience job ${jobId} has no part ${part}.`);
  if (stored.resolved) return stored.resolved;
  const links = await ports.links.findManyByCompanyUserIds(stored.memberIds);
  const resolved: ResolvedPart = { lineUserIds: [], notLinkedMemberIds: [] };
  for (const memberId of stored.memberIds) {
    const link = links.get(memberId);
    if (link) resolved.lineUserIds.push(link.lineUserId);
    else resolved.notLinkedMemberIds.push(memberId);
  }
  // One LINE user per member; two members never share a LINE user, but dedupe all the same.
  resolved.lineUserIds = [...new Set(resolved.lineUserIds)];
  return ports.jobs.resolvePart(jobId, part, resolved);
}

/** Creates the job's audience at most once that it knows of (see {@link runAudienceJob}). */
async function createOnce(
  job: AudienceJob,
  uploadDescription: string,
  lineUserIds: readonly string[],
  ports: RunAudienceJobPorts,
): Promise<number> {
  const description = job.description!;
  const begun = await ports.jobs.beginCreate(job.jobId);
  if (begun.audienceGroupId !== undefined) return begun.audienceGroupId;
  if (begun.attempts > 1) {
    const found = await ports.audiences.findCreated({
      description,
      uploadDescription,
      createdFrom: new Date(job.createdAt),
    });
    if (found !== undefined) return ports.jobs.recordAudience(job.jobId, found);
  }
  const created = await ports.audiences.create({ description, uploadDescription, lineUserIds });
  const recorded = await ports.jobs.recordAudience(job.jobId, created);
  if (recorded !== created) {
    await ports.jobs.addError(
      job.jobId,
      {
        code: 'duplicate-audience',
        detail: `Two runs created an audience: ${recorded} (used) and ${created} (delete it at LINE).`,
        at: ports.clock.now().toISOString(),
      },
      false,
    );
  }
  return recorded;
}

function errorEntry(error: unknown, clock: Clock) {
  const code = error instanceof DomainError ? error.code : 'internal-error';
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  return {
    code,
    detail: cause ?? (error instanceof DomainError ? error.message : 'An unexpected error.'),
    at: clock.now().toISOString(),
  };
}

async function audit(
  job: AudienceJob & { actor: string },
  outcome: 'done' | 'failed',
  ports: RunAudienceJobPorts,
) {
  const { linked, notLinked, uploaded } = job.counts;
  await ports.audit.recordAdmin({
    action: 'audience',
    at: ports.clock.now().toISOString(),
    actor: job.actor,
    outcome: `${outcome} linked:${linked} not-linked:${notLinked} uploaded:${uploaded}`,
    recipients: job.counts.requested,
    jobId: job.jobId,
  });
}

/** A job's progress and a page of its not-linked members. */
export async function getAudienceJob(
  input: { jobId: string; fromPart?: number },
  ports: { jobs: AudienceJobStore },
): Promise<AudienceJob & { notLinkedMemberIds: string[]; nextCursor?: string }> {
  const job = await ports.jobs.get(input.jobId);
  if (!job) throw new AudienceJobNotFoundError();
  const page = await ports.jobs.notLinked(input.jobId, input.fromPart ?? 0);
  const view: AudienceJob = { ...job };
  delete (view as Partial<typeof job>).actor;
  delete (view as Partial<typeof job>).parts;
  return {
    ...view,
    notLinkedMemberIds: page.memberIds,
    ...(page.nextPart === undefined ? {} : { nextCursor: String(page.nextPart) }),
  };
}
