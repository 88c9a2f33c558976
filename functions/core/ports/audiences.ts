import type { AudienceCounts, AudienceJob, AudienceJobError } from '../audiences.js';
import type { IdempotencyClaimRef } from './messaging.js';

/** A part of a job's members once resolved: who is linked (their LINE user IDs) and who is not. */
export interface ResolvedPart {
  lineUserIds: string[];
  notLinkedMemberIds: string[];
}

/**
 * Audience jobs: the request, its members in parts of up to 1,000, each part's resolution, and
 * the job's progress. Every write recognises a second run of itself (a queue redelivery, a
 * storage retry), so a chunk is counted once and the audience ID is recorded once.
 */
export interface AudienceJobStore {
  /**
   * Stores a new job with its parts. With an `Idempotency-Key` claim, the job is recorded as the
   * key's answer in the same write that creates it.
   */
  create(
    job: {
      jobId: string;
      createdAt: string;
      actor: string;
      mode: 'create' | 'add';
      description?: string;
      audienceGroupId?: number;
      parts: ReadonlyArray<readonly string[]>;
    },
    claim?: IdempotencyClaimRef,
  ): Promise<void>;
  /** The job's progress (strongly consistent), with who started it. */
  get(jobId: string): Promise<(AudienceJob & { actor: string; parts: number }) | undefined>;
  /** A part's members, and its resolution once stored. */
  part(jobId: string, part: number): Promise<{ memberIds: string[]; resolved?: ResolvedPart } | undefined>;
  /** Stores a part's resolution once; returns the stored one (an earlier run's, if there was one). */
  resolvePart(jobId: string, part: number, resolved: ResolvedPart): Promise<ResolvedPart>;
  /**
   * Counts one more request to create the job's audience, before it is sent: returns how many
   * there were, this one included, and the audience ID when one was already recorded.
   */
  beginCreate(jobId: string): Promise<{ attempts: number; audienceGroupId?: number }>;
  /**
   * Records the job's audience once. Returns the recorded ID: this one, or the one an earlier run
   * recorded (then the two differ, and LINE holds two audiences).
   */
  recordAudience(jobId: string, audienceGroupId: number): Promise<number>;
  /** Counts chunk `chunk` into the job, once: false when it was already counted. */
  completeChunk(jobId: string, chunk: number, counts: Omit<AudienceCounts, 'requested'>): Promise<boolean>;
  /** Appends a problem to the job's report; `final` ends the job as `failed`. */
  addError(jobId: string, error: AudienceJobError, final: boolean): Promise<void>;
  /** Not-linked member IDs of resolved parts from part `fromPart` on, a page of parts at a time. */
  notLinked(jobId: string, fromPart: number): Promise<{ memberIds: string[]; nextPart?: number }>;
}

/** LINE's audiences for uploading user IDs, as the jobs use them (the adapter owns the token). */
export interface AudienceApi {
  /**
   * Creates an audience with up to 10,000 users; one request, never retried once LINE may have
   * received it (a second would make a second audience).
   * @returns the new audience's ID. @throws UpstreamError
   */
  create(input: {
    description: string;
    uploadDescription: string;
    lineUserIds: readonly string[];
  }): Promise<number>;
  /** Adds up to 10,000 users (adding a user twice is harmless). @throws UpstreamError */
  add(input: {
    audienceGroupId: number;
    uploadDescription: string;
    lineUserIds: readonly string[];
  }): Promise<void>;
  /**
   * The audience named `description`, created from `createdFrom` on, whose upload jobs include
   * one described as `uploadDescription`: an audience this job created without learning its ID.
   * @throws UpstreamError
   */
  findCreated(input: {
    description: string;
    uploadDescription: string;
    createdFrom: Date;
  }): Promise<number | undefined>;
}
