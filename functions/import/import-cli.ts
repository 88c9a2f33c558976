import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadMemberFactors, memberHashPepperConfigured } from '../config.js';
import { readSecret } from '../adapters/secrets/secret-reader.js';
import { HmacFactorHasher } from '../adapters/crypto/hmac-factor-hasher.js';
import { createDocumentClient, isMissingTable } from '../adapters/dynamo/dynamo-client.js';
import { DynamoMemberRepository } from '../adapters/dynamo/dynamo-member-repository.js';
import { csvRecord } from '../adapters/csv/csv-record.js';
import { FileCheckpoint } from './file-checkpoint.js';
import {
  ImportAbortedError,
  importMembers,
  type ImportCheckpointState,
  type ImportSummary,
  type RejectedRow,
} from '../core/use-cases/import-members.js';
import { LOCAL_MEMBER_HASH_PEPPER } from './local-pepper.js';
import { dynamoConfigOf, DynamoTargetError, resolveDynamoTarget } from '../cli/dynamo-target.js';
import { ImportFileError } from '../core/member-file.js';
import { readMemberCsv } from '../adapters/csv/member-csv-file.js';
import { checkReadable, openCsvText, parseEncoding } from './csv-source.js';
import { parseColumnMap, type ColumnMap } from '../adapters/csv/column-map.js';
import { DryRunStore } from './dry-run-store.js';
import { plural, rateSuffix } from '../cli/wording.js';
import { countDataRows, ImportProgressDisplay } from './import-progress.js';

/** Exit codes of `npm run import`. */
export const EXIT = { ok: 0, failed: 1, rejectedRows: 2, interrupted: 130 } as const;

/** Where the command line reads and writes; tests pass their own. */
export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on Ctrl+C (bin/import.ts wires SIGINT to it). */
  signal?: AbortSignal;
  /** The dev server's endpoint file (default `DEV_ENDPOINT_FILE` of functions/cli/dynamo-target.ts). */
  endpointFile?: string;
}

interface CliOptions {
  table?: string;
  region?: string;
  endpoint?: string;
  deleteMissing?: boolean;
  rejects?: string;
  concurrency: number;
  checkpoint?: string;
  restart?: boolean;
  factors?: string;
  progress: boolean;
  encoding: string;
  columns?: string;
  delimiter: string;
  dryRun?: boolean;
  yes?: boolean;
}

/**
 * `npm run import -- members.csv [options]`: imports a member CSV into the members table (see
 * docs/member-data.md). Returns the process exit code: 0 done, 2 done with rejected rows (listed
 * in the rejects file), 1 failed, 130 interrupted (run again to resume).
 */
export async function runImportCli(argv: readonly string[], io: CliIo): Promise<number> {
  const print = (text: string) => io.stdout.write(`${text}\n`);
  const warn = (text: string) => io.stderr.write(`${text}\n`);
  const program = new Command()
    .name('npm run import --')
    .description('Import member records (pattern 3) from a CSV file: differential, resumable, streaming.')
    .argument(
      '<csv>',
      'the member CSV (header: memberId, the MEMBER_FACTORS columns, optional companyUserId)',
    )
    .option('--table <name>', 'members table (default MEMBERS_TABLE or line-id-link-members)')
    .option('--region <region>', 'AWS region: import into AWS instead of the local DynamoDB Local')
    .option('--endpoint <url>', 'DynamoDB endpoint (default DYNAMODB_ENDPOINT, else the one of `npm start`)')
    .option(
      '--delete-missing',
      'also delete the members that are not in the file (needs --yes; see them first with --dry-run)',
    )
    .option('--yes', 'confirm --delete-missing')
    .option(
      '--dry-run',
      'read and check everything, write nothing; list the members --delete-missing would remove',
    )
    .option(
      '--encoding <name>',
      'file encoding: utf-8, shift_jis (= cp932, Excel in Japan), euc-jp, …',
      'utf-8',
    )
    .option('--columns <map>', "the file's header names for ours, e.g. memberId=会員番号,birthDate=生年月日")
    .option('--delimiter <char>', 'field separator (a tab as \\t)', ',')
    .option('--rejects <file>', 'where rejected rows are listed (default <csv>.rejects.csv)')
    .option('--concurrency <n>', 'DynamoDB requests in flight (1–64)', parseConcurrency, 8)
    .option('--checkpoint <file>', 'resume point (default <csv>.checkpoint.json)')
    .option('--restart', 'ignore a checkpoint of an interrupted run and start from the first row')
    .option('--factors <list>', 'required factor columns (default MEMBER_FACTORS or birthDate,postalCode)')
    .option('--no-progress', 'no progress bar')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  let csvArg: string;
  let options: CliOptions;
  try {
    program.parse([...argv], { from: 'user' });
    csvArg = program.args[0]!;
    options = program.opts<CliOptions>();
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? EXIT.ok : EXIT.failed;
  }

  const csvPath = resolve(io.cwd, csvArg);
  try {
    if (options.deleteMissing && !options.yes && !options.dryRun) {
      warn(
        'Refusing --delete-missing without --yes: it deletes every member that is not in the file.\n' +
          'See which ones first:  npm run import -- ' +
          `${csvArg} --delete-missing --dry-run\nThen confirm:          npm run import -- ${csvArg} --delete-missing --yes`,
      );
      return EXIT.failed;
    }
    const encoding = parseEncoding(options.encoding);
    const columns: ColumnMap | undefined = options.columns ? parseColumnMap(options.columns) : undefined;
    const delimiter = options.delimiter === '\\t' ? '\t' : options.delimiter;
    if (delimiter.length !== 1) throw new ImportFileError('--delimiter must be one character (a tab as \\t)');
    await checkReadable(csvPath, csvArg);
    const file = await stat(csvPath);
    const factors = loadMemberFactors(options.factors ? { MEMBER_FACTORS: options.factors } : io.env);
    const target = resolveDynamoTarget(options, 'members', io);
    let pepper: () => Promise<string> = () => readSecret('MEMBER_HASH_PEPPER', io.env);
    if (!memberHashPepperConfigured(io.env)) {
      if (!target.localDev) {
        throw new ConfigError(
          'Set MEMBER_HASH_PEPPER (or MEMBER_HASH_PEPPER_ARN): the pepper of the deployment you import into.',
        );
      }
      pepper = async () => LOCAL_MEMBER_HASH_PEPPER; // the same default as `npm start`
    }
    const client = createDocumentClient(dynamoConfigOf(target, io.env));
    const dryRun = options.dryRun
      ? new DryRunStore(new DynamoMemberRepository(client, target.table))
      : undefined;
    const store = dryRun ?? new DynamoMemberRepository(client, target.table);
    const checkpoint = new FileCheckpoint(
      resolve(io.cwd, options.checkpoint ?? `${csvArg}.checkpoint.json`),
      {
        source: csvPath,
        size: file.size,
        mtimeMs: file.mtimeMs,
        table: target.table,
      },
    );
    const loaded = options.restart || dryRun ? {} : await checkpoint.load();
    if (loaded.ignored) warn(`Starting from the first row: ${loaded.ignored}.`);
    if (loaded.state) warn(`Resuming after row ${loaded.state.doneRows} (checkpoint ${checkpoint.path}).`);

    print(
      `${dryRun ? 'Dry run (nothing is written): checking' : 'Importing'} ${csvArg} into ${target.table} at ${target.endpoint ?? `AWS ${target.region ?? '(default region)'}`}` +
        ` — factors ${factors.join(', ')}${options.deleteMissing ? ', deleting members missing from the file' : ''}.`,
    );

    const rejectsPath = resolve(io.cwd, options.rejects ?? `${csvArg}.rejects.csv`);
    // A dry run only counts its rejects: it writes nothing at all.
    const rejects = new RejectsFile(rejectsPath, loaded.state !== undefined, dryRun !== undefined);
    // No resume point for a run that did nothing yet (or for a dry run): no stray file.
    const saveCheckpoint = async (state: ImportCheckpointState) => {
      if (dryRun) return;
      if (state.doneRows > 0 || state.rowsComplete) await checkpoint.save(state);
      else await checkpoint.clear();
    };
    const openCsv = () =>
      readMemberCsv(openCsvText(csvPath, encoding), { delimiter, ...(columns ? { columns } : {}) });
    // The bar's 100 %: the rows counted once, before anything is written.
    const totalRows = options.progress && io.stderr.isTTY ? await countDataRows(openCsv()) : 0;
    const progress = new ImportProgressDisplay({
      totalRows,
      enabled: options.progress,
      stream: io.stderr,
    });
    let summary: ImportSummary;
    try {
      const csv = openCsv();
      summary = await importMembers(csv, {
        store,
        hasher: new HmacFactorHasher(pepper),
        requiredFactors: factors,
        concurrency: options.concurrency,
        deleteMissing: options.deleteMissing ?? false,
        onReject: (reject) => rejects.write(reject),
        onProgress: (p) => progress.update(p),
        checkpoint: { resume: loaded.state, save: saveCheckpoint },
        ...(io.signal ? { signal: io.signal } : {}),
      });
    } finally {
      progress.stop();
      await rejects.close();
      client.destroy();
    }
    if (dryRun) {
      print(formatDryRun(summary, dryRun, options.deleteMissing ?? false, rejectsPath));
      return summary.rejected > 0 ? EXIT.rejectedRows : EXIT.ok;
    }
    await checkpoint.clear();
    print(formatSummary(summary, rejects.count > 0 || summary.rejected > 0 ? rejectsPath : undefined));
    return summary.rejected > 0 ? EXIT.rejectedRows : EXIT.ok;
  } catch (error) {
    if (error instanceof ImportAbortedError) {
      warn(`Interrupted after ${error.counts.read} rows; run the same command again to resume.`);
      return EXIT.interrupted;
    }
    if ((error as { code?: unknown }).code === 'ECONNREFUSED') {
      warn(
        `Nothing answers at the DynamoDB endpoint (${(error as Error).message.replace(/^.*ECONNREFUSED\s*/, '')}): start it with \`npm start\`, or pass --endpoint / --region.`,
      );
      return EXIT.failed;
    }
    if (isMissingTable(error)) {
      warn(
        'The members table does not exist at that endpoint (is `npm start` running, or is --table right?).',
      );
      return EXIT.failed;
    }
    if (
      error instanceof ImportFileError ||
      error instanceof ConfigError ||
      error instanceof DynamoTargetError
    ) {
      warn(`Import failed: ${error.message}`);
      return EXIT.failed;
    }
    warn(`Import failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    warn('Rows done so far are kept; run the same command again to resume.');
    return EXIT.failed;
  }
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new InvalidArgumentError('must be an integer from 1 to 64');
  return n;
}

/** The final report. */
export function formatSummary(summary: ImportSummary, rejectsPath?: string): string {
  const seconds = summary.durationMs / 1000;
  const processed = summary.read - summary.resumedAfter;
  const lines = [
    '',
    'Import finished.',
    `  read       ${summary.read}${summary.resumedAfter ? ` (${summary.resumedAfter} done before the interruption)` : ''}`,
    `  written    ${summary.written}`,
    `  unchanged  ${summary.unchanged}`,
    `  rejected   ${summary.rejected}${rejectsPath && summary.rejected ? ` (see ${rejectsPath})` : ''}`,
    `  deleted    ${summary.deleted}`,
    `  time       ${seconds.toFixed(1)} s${rateSuffix(processed, seconds)}`,
  ];
  if (summary.ignoredColumns.length)
    lines.push(`  ignored columns: ${summary.ignoredColumns.join(', ')} (never stored)`);
  return lines.join('\n');
}

/** The report of `--dry-run`: what would be written and, with --delete-missing, removed. */
export function formatDryRun(
  summary: ImportSummary,
  store: DryRunStore,
  deleteMissing: boolean,
  rejectsPath: string,
): string {
  const lines = [
    '',
    'Dry run finished: nothing was written or deleted.',
    `  read              ${summary.read}`,
    `  would write       ${store.wouldWrite}`,
    `  unchanged         ${summary.unchanged}`,
    `  rejected          ${summary.rejected}${summary.rejected ? ` (a real run lists them in ${rejectsPath})` : ''}`,
  ];
  if (deleteMissing) {
    const ids = store.wouldDelete;
    lines.push(`  would delete      ${plural(ids.length, 'member')} not in the file${ids.length ? ':' : ''}`);
    const shown = ids.slice(0, 50);
    for (const id of shown) lines.push(`    ${id}`);
    if (ids.length > shown.length) lines.push(`    … and ${ids.length - shown.length} more`);
    lines.push('Run again with --yes instead of --dry-run to do it.');
  }
  return lines.join('\n');
}

/**
 * The rejects CSV (`line,memberId,reason`), created on the first reject; appended to on resume.
 * A dry run's only counts them.
 */
class RejectsFile {
  private handle: Promise<FileHandle> | undefined;
  count = 0;

  constructor(
    private readonly path: string,
    private readonly append: boolean,
    private readonly countOnly: boolean,
  ) {}

  async write(reject: RejectedRow): Promise<void> {
    if (this.countOnly) {
      this.count++;
      return;
    }
    this.handle ??= (async () => {
      const handle = await open(this.path, this.append ? 'a' : 'w');
      if (!this.append || (await handle.stat()).size === 0)
        await handle.write(csvRecord(['line', 'memberId', 'reason']));
      return handle;
    })();
    const handle = await this.handle;
    this.count++;
    await handle.write(csvRecord([String(reject.line), reject.memberId, reject.reason]));
  }

  async close(): Promise<void> {
    await (await this.handle)?.close();
  }
}
