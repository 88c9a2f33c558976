import cliProgress from 'cli-progress';
import type { ImportProgress } from '../core/use-cases/import-members.js';
import type { MemberFile } from '../core/ports/index.js';
import { plural, rateSuffix } from '../cli/wording.js';

/** The part of a cli-progress bar the display drives (tests pass a fake). */
export interface ProgressBar {
  start(total: number, value: number, payload: Record<string, unknown>): void;
  update(value: number, payload: Record<string, unknown>): void;
  stop(): void;
}

/** Options of {@link ImportProgressDisplay}. */
export interface ImportProgressDisplayOptions {
  /** Data rows of the file, counted before the import ({@link countDataRows}); the bar's 100 %. */
  totalRows: number;
  /** False for `--no-progress`: nothing is shown. */
  enabled: boolean;
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** The bar on a terminal; default a cli-progress SingleBar on `stream`. */
  bar?: ProgressBar;
  now?: () => number;
}

/**
 * The progress of `npm run import`: on a terminal a bar of data rows done out of the rows the
 * file has (counted once up front), so it is never ahead of what is written and never behind it
 * by more than the batch being written, and reaches 100 % with the last batch; elsewhere a line
 * every 10 s. (A bar of bytes read runs ahead by the parser's read-ahead and the batches in
 * flight, and a decoded Shift_JIS file has more bytes than the file.)
 */
export class ImportProgressDisplay {
  private readonly bar?: ProgressBar;
  private readonly now: () => number;
  private readonly started: number;
  private lastLine: number;
  private rowsRate = 0;

  constructor(private readonly options: ImportProgressDisplayOptions) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.lastLine = this.started;
    if (!options.enabled || !options.stream.isTTY) return;
    this.bar =
      options.bar ??
      new cliProgress.SingleBar(
        {
          stream: options.stream as NodeJS.WriteStream,
          format:
            '{bar} {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted} | {detail}',
          hideCursor: true,
          etaBuffer: 50,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
    this.bar.start(Math.max(options.totalRows, 1), 0, { rate: 0, detail: '' });
  }

  update(p: ImportProgress): void {
    if (!this.options.enabled) return;
    const seconds = (this.now() - this.started) / 1000;
    // While deleting no rows are read: keep the rate of the rows phase instead of one falling to 0.
    if (p.phase === 'rows') this.rowsRate = Math.round(p.done / Math.max(seconds, 0.001));
    const detail =
      p.phase === 'delete'
        ? `deleting missing members: ${p.deleted}`
        : `written ${p.written}, unchanged ${p.unchanged}, rejected ${p.rejected}`;
    if (this.bar) {
      this.bar.update(Math.min(p.done, Math.max(this.options.totalRows, 1)), { rate: this.rowsRate, detail });
    } else if (this.now() - this.lastLine >= 10_000) {
      this.lastLine = this.now();
      const rowsText =
        p.phase === 'delete'
          ? plural(p.done, 'row')
          : `${plural(p.done, 'row')}${rateSuffix(p.done, seconds)}`;
      this.options.stream.write(`… ${rowsText}, ${detail}\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}

/**
 * The data rows of a member file (records after the header, empty lines left out), read once
 * with the same reader as the import. A file the reader refuses counts the rows before the
 * problem: the import stops there too.
 */
export async function countDataRows(file: MemberFile): Promise<number> {
  let records = 0;
  try {
    for await (const chunk of file) records += chunk.length;
  } catch {
    // The import reports the problem, at the same place.
  }
  return Math.max(records - 1, 0);
}
