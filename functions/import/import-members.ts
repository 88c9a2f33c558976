import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { MEMBER_FACTOR_NAMES, type MemberFactor } from '../core/member-factors.js';
import type { FactorHasher } from '../core/ports/index.js';
import type { StoredMember } from '../adapters/dynamo/dynamo-member-repository.js';
import { FingerprintSet } from './fingerprint-set.js';
import { applyColumnMap, guessDelimiter, type ColumnMap } from './column-map.js';
import { ImportFileError, readHeader, readRow, type CsvLayout, type MemberRow } from './member-csv.js';

/**
 * The member import (pattern 3), shared by `npm run import` (bin/import.ts) and the S3-triggered
 * Lambda (functions/handlers/members-import-s3.ts). It streams the CSV through csv-parse and
 * never holds more than `concurrency` batches of rows plus 8 bytes per member ID:
 *
 * 1. every row is validated and normalized with the same code as the verification routes; a
 *    bad row is reported (line number and reason, never a value) and the rest go on;
 * 2. rows are grouped in batches of 100; up to `concurrency` batches are in flight, each
 *    making one DynamoDB request at a time (so at most `concurrency` requests overall);
 * 3. per batch: the factors are hashed (HMAC with the pepper) and a content hash computed from
 *    the company user ID and those hashes; one BatchGetItem reads the stored content hashes and
 *    only new or changed records are written, with BatchWriteItem in chunks of 25 (unprocessed
 *    items retried with back-off). On a first import into an empty table the reads are skipped;
 * 4. batches are committed in file order: the checkpoint (if any) records how many data rows are
 *    fully done, so an interrupted import resumes after them (re-doing a batch is harmless: it is
 *    differential);
 * 5. with `deleteMissing`, once the whole file is in, a parallel scan of the table's keys finds
 *    the members the file did not mention (looked up in a {@link FingerprintSet} of the file's
 *    member IDs) and deletes them.
 */

/** What the import needs from the members table (DynamoMemberRepository implements it). */
export interface MemberImportStore {
  contentHashes(memberIds: readonly string[]): Promise<Map<string, string>>;
  putMembers(members: readonly StoredMember[], importedAt: string): Promise<void>;
  deleteMembers(memberIds: readonly string[]): Promise<void>;
  scanMemberIds(segment: number, totalSegments: number): AsyncIterable<string[]>;
  hasMembers(): Promise<boolean>;
}

/** A row that was not imported. */
export interface RejectedRow {
  /** Line of the file (1 = header) where the row ends. */
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
  /** Batches (= DynamoDB requests) in flight; default 8. */
  concurrency?: number;
  /** Rows per batch (1–100, one BatchGetItem each); default 100. */
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
  /** Our column → the file's header name (`--columns memberId=会員番号`). */
  columns?: ColumnMap;
  /** Field delimiter; default `,`. */
  delimiter?: string;
}

/** The import stopped on request (after saving its checkpoint). */
export class ImportAbortedError extends Error {
  constructor(readonly counts: ImportCounts) {
    super('The import was interrupted; run it again to resume.');
    this.name = 'ImportAbortedError';
  }
}

/** Records larger than this are a broken file (an unclosed quote swallowing the rest). */
const MAX_RECORD_BYTES = 64 * 1024;

interface Batch {
  /** Index of its first and one past its last data row. */
  start: number;
  end: number;
  rows: MemberRow[];
  rejects: RejectedRow[];
  done: boolean;
  written: number;
  unchanged: number;
  promise?: Promise<void>;
}

/** Imports a member CSV from `source` (a file or S3 object stream). */
export async function importMembers(source: Readable, options: ImportMembersOptions): Promise<ImportSummary> {
  const started = Date.now();
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const batchSize = Math.min(100, Math.max(1, Math.floor(options.batchSize ?? 100)));
  const now = options.now ?? (() => new Date());
  const importedAt = now().toISOString();
  const resume = options.checkpoint?.resume;
  const resumeFrom = resume?.doneRows ?? 0;
  const counts: ImportCounts = resume
    ? { ...resume.counts }
    : { read: 0, written: 0, unchanged: 0, rejected: 0, deleted: 0 };
  const seen = new FingerprintSet();
  const differential = resumeFrom > 0 || (await options.store.hasMembers());

  // No `info` (an object per record) and no skip_empty_lines: line numbers are counted here,
  // which is cheaper, and reports the line where a row starts.
  const parser = parse({
    bom: true,
    relax_column_count: true,
    max_record_size: MAX_RECORD_BYTES,
    delimiter: options.delimiter ?? ',',
  });
  source.on('error', (error) => parser.destroy(error));
  // The parser's errors (its own, or the source's passed on above) are read from
  // `parser.errored` by the loop below; this listener only keeps them from being "unhandled".
  parser.on('error', () => undefined);
  source.pipe(parser);

  let layout: CsvLayout | undefined;
  let line = 0; // last line of the previous record
  let index = 0; // data rows parsed
  let validRows = 0; // valid rows in the whole file (resumed ones included)
  let current = newBatch(resumeFrom);
  const batches: Batch[] = []; // dispatched, not yet committed, in file order
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let lastSave = Date.now();
  let rowsComplete = resume?.rowsComplete ?? false;

  const progress = (phase: ImportProgress['phase']) =>
    options.onProgress?.({ ...counts, phase, bytes: parser.info.bytes, parsed: index });

  const saveCheckpoint = async (force: boolean) => {
    if (!options.checkpoint) return;
    if (!force && Date.now() - lastSave < (options.checkpointEveryMs ?? 1000)) return;
    lastSave = Date.now();
    // Rows before the first batch not yet committed are done (the batch being filled counts as not done).
    const doneRows = batches[0]?.start ?? current.start;
    await options.checkpoint.save({ doneRows, counts: { ...counts }, rowsComplete });
  };

  const commit = async () => {
    while (batches[0]?.done) {
      const batch = batches.shift()!;
      for (const reject of batch.rejects) await options.onReject?.(reject);
      counts.read += batch.end - batch.start;
      counts.rejected += batch.rejects.length;
      counts.written += batch.written;
      counts.unchanged += batch.unchanged;
    }
    progress('rows');
    await saveCheckpoint(false);
  };

  const dispatch = async (batch: Batch) => {
    batches.push(batch);
    const promise = processBatch(batch, options, differential, importedAt).then(
      () => {
        batch.done = true;
      },
      (error: unknown) => {
        failure ??= error;
      },
    );
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
    while (inFlight.size >= concurrency && failure === undefined) {
      await Promise.race(inFlight);
      await commit();
    }
  };

  try {
    reading: for (;;) {
      // Synchronous reads while records are buffered; wait only when the parser has none.
      let record: string[] | null;
      while ((record = parser.read() as string[] | null) !== null) {
        if (failure !== undefined || options.signal?.aborted) break reading;
        const startLine = line + 1;
        line = startLine + newlinesIn(record);
        if (record.length === 1 && record[0]!.trim() === '') continue; // an empty line
        if (!layout) {
          layout = readHeaderExplained(record, options);
          continue;
        }
        const rowIndex = index++;
        const result = readRow(record, layout);
        const memberId = result.ok ? result.row.memberId : result.memberId;
        const firstTime = memberId === undefined ? true : seen.add(memberId);
        if (result.ok && firstTime) validRows++;
        if (rowIndex < resumeFrom) continue; // done in an earlier run: only remembered
        if (!result.ok) {
          current.rejects.push({ line: startLine, ...(memberId ? { memberId } : {}), reason: result.reason });
        } else if (!firstTime) {
          current.rejects.push({
            line: startLine,
            memberId,
            reason: 'duplicate memberId (an earlier row has it; the first one is kept)',
          });
        } else {
          current.rows.push(result.row);
        }
        current.end = index;
        if (current.end - current.start >= batchSize) {
          const full = current;
          current = newBatch(index);
          await dispatch(full);
        }
      }
      if (!(await moreRecords(parser))) break;
    }
  } catch (error) {
    failure ??= error instanceof CsvError ? csvFileError(error) : error;
  } finally {
    if (failure !== undefined || options.signal?.aborted) {
      parser.destroy();
      source.unpipe(parser);
      source.destroy();
    }
  }
  if (failure === undefined && !options.signal?.aborted) {
    if (!layout) failure = new ImportFileError('the file is empty (no header row)', 1);
    else if (current.end > current.start) await dispatch(current);
  }
  await Promise.allSettled([...inFlight]);
  await commit();
  if (failure !== undefined) {
    await saveCheckpoint(true);
    throw failure;
  }
  if (options.signal?.aborted) {
    await saveCheckpoint(true);
    throw new ImportAbortedError({ ...counts });
  }
  rowsComplete = true;
  await saveCheckpoint(true);

  if (options.deleteMissing) {
    if (validRows === 0) {
      throw new ImportFileError(
        '--delete-missing refused: the file has no valid row, so it would delete every member',
      );
    }
    await deleteMissing(options, seen, counts, concurrency, () => progress('delete'));
    await saveCheckpoint(true);
  }
  progress(options.deleteMissing ? 'delete' : 'rows');
  return {
    ...counts,
    resumedAfter: resumeFrom,
    ignoredColumns: layout?.ignored ?? [],
    durationMs: Date.now() - started,
  };
}

/** The header with `columns` applied; a one-column header with another separator in it says so. */
function readHeaderExplained(record: readonly string[], options: ImportMembersOptions): CsvLayout {
  try {
    return readHeader(
      options.columns ? applyColumnMap(record, options.columns) : record,
      options.requiredFactors,
    );
  } catch (error) {
    const guess = guessDelimiter(record);
    if (!guess || !(error instanceof ImportFileError)) throw error;
    throw new ImportFileError(
      `found one column; is the file ${guess.name}-separated? The import reads comma-separated files ` +
        `(npm run import takes --delimiter '${guess.char === '\t' ? '\\t' : guess.char}' for others)`,
      1,
    );
  }
}

/** Waits until the parser has records again: true, or has ended: false; throws its error. */
function moreRecords(parser: Readable): Promise<boolean> {
  if (parser.errored) return Promise.reject(parser.errored);
  if (parser.readableEnded) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => () => {
      parser.off('readable', onReadable).off('end', onEnd).off('error', onError).off('close', onEnd);
      outcome();
    };
    const onReadable = settle(() => resolve(true));
    const onEnd = settle(() => (parser.errored ? reject(parser.errored) : resolve(false)));
    const onError = (error: Error) => settle(() => reject(error))();
    parser.on('readable', onReadable).on('end', onEnd).on('error', onError).on('close', onEnd);
  });
}

/** Line breaks inside a record's (quoted) fields: the record spans that many more lines. */
function newlinesIn(record: readonly string[]): number {
  let count = 0;
  for (const field of record) {
    for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) count++;
  }
  return count;
}

function newBatch(start: number): Batch {
  return { start, end: start, rows: [], rejects: [], done: false, written: 0, unchanged: 0 };
}

/** Hashes, compares and writes one batch, one DynamoDB request at a time. */
async function processBatch(
  batch: Batch,
  options: ImportMembersOptions,
  differential: boolean,
  importedAt: string,
): Promise<void> {
  const members: StoredMember[] = [];
  for (const row of batch.rows) {
    const factorHashes = await options.hasher.hashFactors(row.memberId, row.factors);
    members.push({
      memberId: row.memberId,
      companyUserId: row.companyUserId,
      factorHashes,
      contentHash: contentHash(row.companyUserId, factorHashes),
    });
  }
  let changed = members;
  if (differential && members.length > 0) {
    const stored = await options.store.contentHashes(members.map((m) => m.memberId));
    changed = members.filter((m) => stored.get(m.memberId) !== m.contentHash);
  }
  for (let i = 0; i < changed.length; i += 25) {
    await options.store.putMembers(changed.slice(i, i + 25), importedAt);
  }
  batch.written = changed.length;
  batch.unchanged = members.length - changed.length;
  batch.rows = [];
}

/**
 * Content of a record as stored: the company user ID and the factors' keyed hashes (never the
 * values: an unkeyed hash of a birth date could be brute-forced). A new pepper changes every
 * factor hash, so the next import rewrites every record, as it must.
 */
export function contentHash(
  companyUserId: string,
  factorHashes: Partial<Record<MemberFactor, string>>,
): string {
  const hash = createHash('sha256').update(`v1\0${companyUserId}`);
  for (const factor of MEMBER_FACTOR_NAMES) {
    const value = factorHashes[factor];
    if (value !== undefined) hash.update(`\0${factor}=${value}`);
  }
  return hash.digest('base64url').slice(0, 22);
}

/** Deletes the members the file did not mention; one scan segment per unit of concurrency. */
async function deleteMissing(
  options: ImportMembersOptions,
  seen: FingerprintSet,
  counts: ImportCounts,
  concurrency: number,
  progress: () => void,
): Promise<void> {
  await Promise.all(
    Array.from({ length: concurrency }, async (_, segment) => {
      let doomed: string[] = [];
      const flush = async () => {
        await options.store.deleteMembers(doomed);
        counts.deleted += doomed.length;
        doomed = [];
        progress();
      };
      for await (const ids of options.store.scanMemberIds(segment, concurrency)) {
        for (const id of ids) {
          if (seen.has(id)) continue;
          doomed.push(id);
          if (doomed.length === 25) await flush();
        }
      }
      if (doomed.length) await flush();
    }),
  );
}

/** csv-parse errors name the line but may quote the field: keep the line and the kind only. */
function csvFileError(error: CsvError): ImportFileError {
  const line = typeof error.lines === 'number' ? error.lines : undefined;
  const kinds: Record<string, string> = {
    CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
    CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters',
    CSV_INVALID_OPENING_QUOTE: 'a quote appears inside an unquoted field',
    CSV_MAX_RECORD_SIZE: `a record exceeds ${MAX_RECORD_BYTES / 1024} KB (an unclosed quote?)`,
    CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by other characters',
  };
  return new ImportFileError(`malformed CSV: ${kinds[error.code] ?? error.code}`, line);
}
