import { createHash } from 'node:crypto';
import { FingerprintSet } from '../fingerprint-set.js';
import { MEMBER_FACTOR_NAMES, type MemberFactor } from '../member-factors.js';
import { ImportFileError, readHeader, readRow, type HeaderLayout, type MemberRow } from '../member-file.js';
import type {
  FactorHasher,
  FactorHashes,
  ImportedMember,
  MemberFile,
  MemberFileRecord,
  MemberImportStore,
} from '../ports/index.js';

/**
 * The member import (pattern 3), shared by `npm run import` (bin/import.ts) and the S3-triggered
 * Lambda (functions/handlers/members-import-s3.ts). It reads the records of a member file (an
 * adapter parses the CSV) and never holds more than `concurrency` batches of rows plus 8 bytes
 * per member ID:
 *
 * 1. every row is validated and normalized with the same code as the verification routes; a
 *    bad row is reported (line number and reason, never a value) and the rest go on;
 * 2. rows are grouped in batches of 100; up to `concurrency` batches are in flight, each
 *    making one call of the store at a time (and a store call keeps one request in flight, so at
 *    most `concurrency` requests overall);
 * 3. per batch: the factors are hashed (HMAC with the pepper) and a content hash computed from
 *    the company user ID and those hashes; one read of the stored content hashes and one write of
 *    the new or changed records (the store splits them into requests its storage accepts). On a
 *    first import into an empty table the reads are skipped;
 * 4. batches are committed in file order: the checkpoint (if any) records how many data rows are
 *    fully done, so an interrupted import resumes after them (re-doing a batch is harmless: it is
 *    differential);
 * 5. with `deleteMissing`, once the whole file is in, a parallel scan of the table's keys finds
 *    the members the file did not mention (looked up in a {@link FingerprintSet} of the file's
 *    member IDs) and deletes them, a batch at a time (progress is reported after each).
 */

/** A row that was not imported. */
export interface RejectedRow {
  /** Line of the file (1 = header) where the row starts. */
  line: number;
  /** The row's member ID when it was readable. */
  memberId?: string;
  /** Why, without any value of the row. */
  reason: string;
}

/** Counters of an import; `read` counts data rows (the header excluded). */
export interface ImportCounts {
  read: number;
  written: number;
  unchanged: number;
  rejected: number;
  deleted: number;
}

/** What a checkpoint keeps: data rows fully done, in file order, and the counters up to there. */
export interface ImportCheckpointState {
  doneRows: number;
  counts: ImportCounts;
  /** True once every row is in (an interruption during the delete phase resumes there). */
  rowsComplete?: boolean;
}

/** Progress, reported as batches are committed. */
export interface ImportProgress extends ImportCounts {
  phase: 'rows' | 'delete';
  /** Bytes of the file consumed by the parser so far. */
  bytes: number;
  /** Rows parsed so far (ahead of the committed counters by the batches in flight). */
  parsed: number;
  /**
   * Data rows whose batch is done (written, unchanged or rejected), in whatever order the batches
   * finished, resumed rows included: behind what the store has written by at most the batch being
   * written, which is what a progress bar shows.
   */
  done: number;
}

/** The outcome of an import. */
export interface ImportSummary extends ImportCounts {
  /** Data rows skipped because a checkpoint said they were done. */
  resumedAfter: number;
  /** Header columns that were not ours and were ignored. */
  ignoredColumns: string[];
  durationMs: number;
}

/** Options of {@link importMembers}. */
export interface ImportMembersOptions {
  store: MemberImportStore;
  hasher: FactorHasher;
  /** `MEMBER_FACTORS`: the columns every row must fill. */
  requiredFactors: readonly MemberFactor[];
  /** Batches (= store calls, each one request in flight) in flight; default 8. */
  concurrency?: number;
  /**
   * Rows per batch, and members per delete: the unit of concurrency, of the checkpoint and of
   * progress; default 100.
   */
  batchSize?: number;
  deleteMissing?: boolean;
  /** Called for each rejected row, in file order. */
  onReject?: (reject: RejectedRow) => void | Promise<void>;
  onProgress?: (progress: ImportProgress) => void;
  /** Resume state and where to save it (at most every `checkpointEveryMs`, and at the end). */
  checkpoint?: {
    resume?: ImportCheckpointState;
    save(state: ImportCheckpointState): Promise<void>;
  };
  checkpointEveryMs?: number;
  /** Stops reading; batches in flight finish, the checkpoint is saved, {@link ImportAbortedError} is thrown. */
  signal?: AbortSignal;
  /** Time stamped on written records. */
  now?: () => Date;
}

/** The import stopped on request (after saving its checkpoint). */
export class ImportAbortedError extends Error {
  constructor(readonly counts: ImportCounts) {
    super('The import was interrupted; run it again to resume.');
    this.name = 'ImportAbortedError';
  }
}

/** Imports the members of `file`; see the steps above. */
export async function importMembers(file: MemberFile, options: ImportMembersOptions): Promise<ImportSummary> {
  const started = Date.now();
  const run = new MemberImport(file, options, await isDifferential(options));
  await run.readRows();
  await run.finishRows();
  if (options.deleteMissing) await run.deleteMissing();
  return run.summary(Date.now() - started);
}

/**
 * Content of a record as stored: the company user ID and the factors' keyed hashes (never the
 * values: an unkeyed hash of a birth date could be brute-forced). A new pepper changes every
 * factor hash, so the next import rewrites every record, as it must.
 */
export function contentHash(companyUserId: string, factorHashes: FactorHashes): string {
  const hash = createHash('sha256').update(`v1\0${companyUserId}`);
  for (const factor of MEMBER_FACTOR_NAMES) {
    const value = factorHashes[factor];
    if (value !== undefined) hash.update(`\0${factor}=${value}`);
  }
  return hash.digest('base64url').slice(0, 22);
}

/** Reads are needed unless this is a first import into an empty table. */
async function isDifferential(options: ImportMembersOptions): Promise<boolean> {
  return (options.checkpoint?.resume?.doneRows ?? 0) > 0 || (await options.store.hasMembers());
}

/** Data rows `start` (included) to `end` (excluded) of the file, dispatched together. */
interface Batch {
  start: number;
  end: number;
  rows: MemberRow[];
  rejects: RejectedRow[];
  done: boolean;
  written: number;
  unchanged: number;
}

const newBatch = (start: number): Batch => ({
  start,
  end: start,
  rows: [],
  rejects: [],
  done: false,
  written: 0,
  unchanged: 0,
});

/** One run of {@link importMembers}: its counters, batches in flight and checkpoint. */
class MemberImport {
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly importedAt: string;
  private readonly resumeFrom: number;
  private readonly counts: ImportCounts;
  /** Every member ID of the file (duplicates, and what `deleteMissing` keeps). */
  private readonly seen = new FingerprintSet();
  private layout: HeaderLayout | undefined;
  /** Data rows parsed. */
  private parsed = 0;
  /** Data rows of finished batches, resumed ones included ({@link ImportProgress.done}). */
  private done: number;
  /** Valid rows in the whole file (resumed ones included). */
  private validRows = 0;
  private current: Batch;
  /** Dispatched, not yet committed, in file order. */
  private readonly batches: Batch[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private lastSave = Date.now();
  private rowsComplete: boolean;

  constructor(
    private readonly file: MemberFile,
    private readonly options: ImportMembersOptions,
    private readonly differential: boolean,
  ) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 100));
    this.importedAt = (options.now ?? (() => new Date()))().toISOString();
    const resume = options.checkpoint?.resume;
    this.resumeFrom = resume?.doneRows ?? 0;
    this.counts = resume
      ? { ...resume.counts }
      : { read: 0, written: 0, unchanged: 0, rejected: 0, deleted: 0 };
    this.rowsComplete = resume?.rowsComplete ?? false;
    this.current = newBatch(this.resumeFrom);
    this.done = this.resumeFrom;
  }

  private get stopped(): boolean {
    return this.failure !== undefined || this.options.signal?.aborted === true;
  }

  /** Step 1: every record of the file, the header first, into batches; stops on a failure or an abort. */
  async readRows(): Promise<void> {
    try {
      reading: for await (const records of this.file) {
        for (const record of records) {
          if (this.stopped) break reading;
          if (!this.layout) this.layout = readHeader(record.fields, this.options.requiredFactors);
          else await this.acceptRow(record, this.layout);
        }
      }
    } catch (error) {
      this.failure ??= error;
    }
    if (this.stopped) return;
    if (!this.layout) this.failure = new ImportFileError('the file is empty (no header row)', 1);
    else if (this.current.end > this.current.start) await this.dispatch(this.current);
  }

  /** Step 2: a data row validated, checked for duplicates and added to the current batch. */
  private async acceptRow(record: MemberFileRecord, layout: HeaderLayout): Promise<void> {
    const index = this.parsed++;
    const result = readRow(record.fields, layout);
    const memberId = result.ok ? result.row.memberId : result.memberId;
    const firstTime = memberId === undefined ? true : this.seen.add(memberId);
    if (result.ok && firstTime) this.validRows++;
    if (index < this.resumeFrom) return; // done in an earlier run: only remembered
    const batch = this.current;
    if (!result.ok) {
      batch.rejects.push({ line: record.line, ...(memberId ? { memberId } : {}), reason: result.reason });
    } else if (!firstTime) {
      batch.rejects.push({
        line: record.line,
        memberId,
        reason: 'duplicate memberId (an earlier row has it; the first one is kept)',
      });
    } else {
      batch.rows.push(result.row);
    }
    batch.end = this.parsed;
    if (batch.end - batch.start >= this.batchSize) {
      this.current = newBatch(this.parsed);
      await this.dispatch(batch);
    }
  }

  /** Step 3: a full batch written in the background; waits while `concurrency` batches are in flight. */
  private async dispatch(batch: Batch): Promise<void> {
    this.batches.push(batch);
    const promise = this.writeBatch(batch).then(
      () => {
        batch.done = true;
        this.done += batch.end - batch.start;
        this.progress('rows');
      },
      (error: unknown) => {
        this.failure ??= error;
      },
    );
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
    while (this.inFlight.size >= this.concurrency && this.failure === undefined) {
      await Promise.race(this.inFlight);
      await this.commit();
    }
  }

  /** Hashes a batch's factors, compares with what is stored and writes what changed, one store call at a time. */
  private async writeBatch(batch: Batch): Promise<void> {
    const members = await this.hashRows(batch.rows);
    const changed = await this.changedMembers(members);
    if (changed.length > 0) await this.options.store.putMembers(changed, this.importedAt);
    batch.written = changed.length;
    batch.unchanged = members.length - changed.length;
    batch.rows = [];
  }

  private async hashRows(rows: readonly MemberRow[]): Promise<ImportedMember[]> {
    const members: ImportedMember[] = [];
    for (const row of rows) {
      const factorHashes = await this.options.hasher.hashFactors(row.memberId, row.factors);
      members.push({
        memberId: row.memberId,
        companyUserId: row.companyUserId,
        factorHashes,
        contentHash: contentHash(row.companyUserId, factorHashes),
      });
    }
    return members;
  }

  private async changedMembers(members: ImportedMember[]): Promise<ImportedMember[]> {
    if (!this.differential || members.length === 0) return members;
    const stored = await this.options.store.contentHashes(members.map((m) => m.memberId));
    return members.filter((m) => stored.get(m.memberId) !== m.contentHash);
  }

  /** Step 4: the finished batches at the head of the file counted, reported, checkpointed. */
  private async commit(): Promise<void> {
    while (this.batches[0]?.done) {
      const batch = this.batches.shift()!;
      for (const reject of batch.rejects) await this.options.onReject?.(reject);
      this.counts.read += batch.end - batch.start;
      this.counts.rejected += batch.rejects.length;
      this.counts.written += batch.written;
      this.counts.unchanged += batch.unchanged;
    }
    this.progress('rows');
    await this.saveCheckpoint(false);
  }

  /** Waits for the batches in flight; throws the first failure, or {@link ImportAbortedError}, after saving the checkpoint. */
  async finishRows(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.commit();
    if (this.failure !== undefined) {
      await this.saveCheckpoint(true);
      throw this.failure;
    }
    if (this.options.signal?.aborted) {
      await this.saveCheckpoint(true);
      throw new ImportAbortedError({ ...this.counts });
    }
    this.rowsComplete = true;
    await this.saveCheckpoint(true);
  }

  /** Step 5: the members the file did not mention deleted; one scan segment per unit of concurrency. */
  async deleteMissing(): Promise<void> {
    if (this.validRows === 0) {
      throw new ImportFileError(
        '--delete-missing refused: the file has no valid row, so it would delete every member',
      );
    }
    const { store } = this.options;
    await Promise.all(
      Array.from({ length: this.concurrency }, async (_, segment) => {
        let doomed: string[] = [];
        const flush = async () => {
          await store.deleteMembers(doomed);
          this.counts.deleted += doomed.length;
          doomed = [];
          this.progress('delete');
        };
        for await (const ids of store.scanMemberIds(segment, this.concurrency)) {
          for (const id of ids) {
            if (this.seen.has(id)) continue;
            doomed.push(id);
            if (doomed.length === this.batchSize) await flush();
          }
        }
        if (doomed.length) await flush();
      }),
    );
    await this.saveCheckpoint(true);
  }

  summary(durationMs: number): ImportSummary {
    this.progress(this.options.deleteMissing ? 'delete' : 'rows');
    return {
      ...this.counts,
      resumedAfter: this.resumeFrom,
      ignoredColumns: this.layout?.ignored ?? [],
      durationMs,
    };
  }

  private progress(phase: ImportProgress['phase']): void {
    this.options.onProgress?.({
      ...this.counts,
      phase,
      bytes: this.file.bytesRead,
      parsed: this.parsed,
      done: this.done,
    });
  }

  /** Saves where the import stands: at most every `checkpointEveryMs` unless `force`. */
  private async saveCheckpoint(force: boolean): Promise<void> {
    const { checkpoint, checkpointEveryMs } = this.options;
    if (!checkpoint) return;
    if (!force && Date.now() - this.lastSave < (checkpointEveryMs ?? 1000)) return;
    this.lastSave = Date.now();
    // Rows before the first batch not yet committed are done (the batch being filled counts as not done).
    const doneRows = this.batches[0]?.start ?? this.current.start;
    await checkpoint.save({ doneRows, counts: { ...this.counts }, rowsComplete: this.rowsComplete });
  }
}
