import { plural, rateSuffix } from '../cli/wording.js';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, read } from '../config.js';
import { readSecret } from '../adapters/secrets/secret-reader.js';
import {
  dynamoConfigOf,
  DynamoTargetError,
  resolveDynamoTarget,
  targetTable,
  type DynamoTarget,
} from '../cli/dynamo-target.js';
import { createPseudonymizer, PSEUDONYM_KEY_VARIABLE } from '../adapters/crypto/hmac-pseudonymizer.js';
import {
  DEFAULT_SEGMENTS,
  estimateExportRows,
  exportTableByScan,
  MAX_SEGMENTS,
  type ExportFormat,
  type ExportKind,
} from '../adapters/dynamo/dynamo-table-scan-export.js';
import { createDynamoClient, isMissingTable } from '../adapters/dynamo/dynamo-client.js';
import {
  describeS3Export,
  startS3Export,
  waitForS3Export,
  type S3ExportFormat,
  type S3ExportStatus,
} from '../adapters/dynamo/dynamo-table-s3-export.js';

/** What the CLI talks to; tests pass their own. */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  /** The dev server's endpoint file (default `DEV_ENDPOINT_FILE` of functions/cli/dynamo-target.ts). */
  endpointFile?: string;
  /** Aborts a running export (Ctrl-C). */
  signal?: AbortSignal;
  /** Poll interval of `--wait`, default 15 s. */
  pollIntervalMs?: number;
}

/** A problem the user can fix; printed without a stack trace. Usage errors exit with 2, others with 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

interface Options {
  format: ExportFormat;
  out?: string;
  since?: string;
  segments: string;
  audit?: boolean;
  pseudonymize?: boolean;
  bom?: boolean;
  /** False with `--no-formula-guard`. */
  formulaGuard: boolean;
  table?: string;
  region?: string;
  endpoint?: string;
  progress: boolean;
  s3?: boolean;
  bucket?: string;
  prefix?: string;
  s3Format: 'dynamodb-json' | 'ion';
  status?: string;
  wait?: boolean;
}

function program(): Command {
  return new Command('npm run export --')
    .description(
      'Export the links (or with --audit the audit trail) from DynamoDB.\n' +
        'Scan export (default): streams CSV or JSONL from DynamoDB Local (the dev server) or, with --region, from AWS.\n' +
        "S3 export (--s3): starts DynamoDB's own export to S3 (no read capacity used), queryable with Athena.",
    )
    .addOption(new Option('-f, --format <format>', 'output format').choices(['csv', 'jsonl']).default('csv'))
    .option('-o, --out <file>', 'write to this file (default: standard output)')
    .option(
      '--since <iso-time>',
      'only links linked (events recorded) at or after this instant, e.g. 2026-01-01T00:00:00Z',
    )
    .option('--segments <n>', `parallel Scan segments (1-${MAX_SEGMENTS})`, String(DEFAULT_SEGMENTS))
    .option('--audit', 'export the audit events instead of the links')
    .option(
      '--pseudonymize',
      `replace LINE user IDs with a keyed hash (key: ${PSEUDONYM_KEY_VARIABLE} or ${PSEUDONYM_KEY_VARIABLE}_ARN)`,
    )
    .option('--bom', 'CSV: start with a UTF-8 byte order mark, for Excel')
    .option(
      '--no-formula-guard',
      "CSV: write cells starting with = + - @ tab or CR exactly as stored (default: prefixed with ' so spreadsheets do not run them as formulas); only for files no spreadsheet opens",
    )
    .option('--table <name>', 'table name (default: the service default, or LINKS_TABLE / AUDIT_TABLE)')
    .option('--region <region>', 'export from AWS in this region (credentials from the usual AWS chain)')
    .option(
      '--endpoint <url>',
      "DynamoDB endpoint (default: DYNAMODB_ENDPOINT, else the dev server's DynamoDB Local)",
    )
    .option('--no-progress', 'no progress bar')
    .option('--s3', 'start a DynamoDB export to S3 (AWS; PITR must be on) and report its status')
    .option('--bucket <name>', 'S3 export bucket (default: EXPORT_BUCKET)')
    .option('--prefix <prefix>', 'S3 key prefix (default: links, or audit with --audit)')
    .addOption(
      new Option('--s3-format <format>', 'S3 export format')
        .choices(['dynamodb-json', 'ion'])
        .default('dynamodb-json'),
    )
    .option('--status <exportArn>', 'report the status of an S3 export')
    .option('--wait', 'with --s3 or --status: poll until the export has finished')
    .exitOverride()
    .allowExcessArguments(false);
}

/**
 * `npm run export -- …`. Returns the exit code: 0 done, 1 failed, 2 usage error. Messages go to
 * `stderr`; rows (Scan export to stdout), the export status and `--help` go to `stdout`.
 */
export async function runExportCli(argv: string[], io: CliIo): Promise<number> {
  const command = program().configureOutput({
    // --help goes to stdout like every command's help (and `npm run import -- --help`).
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
  });
  let options: Options;
  try {
    command.parse(argv, { from: 'user' });
    options = command.opts<Options>();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  try {
    if (options.status) return await statusCommand(options, io);
    if (options.s3) return await s3Command(options, io);
    return await scanCommand(options, io);
  } catch (error) {
    io.stderr.write(`export: ${describeError(error)}\n`);
    // Usage: the target given, or none found; a variable's value that breaks its rule.
    if (error instanceof DynamoTargetError || error instanceof ConfigError) return 2;
    return error instanceof CliError ? error.exitCode : 1;
  }
}

async function scanCommand(options: Options, io: CliIo): Promise<number> {
  if (options.wait) throw new CliError('--wait applies to --s3 and --status only.');
  const kind: ExportKind = options.audit ? 'audit' : 'links';
  const segments = Number(options.segments);
  if (!Number.isInteger(segments) || segments < 1 || segments > MAX_SEGMENTS) {
    throw new CliError(`--segments must be an integer from 1 to ${MAX_SEGMENTS}.`);
  }
  const since = options.since === undefined ? undefined : parseSince(options.since);
  const pseudonymize = options.pseudonymize ? createPseudonymizer(await pseudonymKey(io.env)) : undefined;
  const target = resolveDynamoTarget(options, kind, io);
  const table = target.table;

  const partial = options.out ? `${options.out}.partial` : undefined;
  const out: Writable = partial ? createWriteStream(partial, { flags: 'w' }) : io.stdout;
  if (partial) {
    try {
      await once(out, 'open');
    } catch (error) {
      throw new CliError(`Cannot write ${options.out}: ${describeError(error)}`, 1);
    }
  }
  const client = scanClient(target, io.env);
  const progress =
    options.progress && io.stderr.isTTY
      ? startProgress(await estimateExportRows(client, table, kind), io)
      : undefined;
  const started = performance.now();
  try {
    const { rows } = await exportTableByScan({
      client,
      tableName: table,
      kind,
      format: options.format,
      out,
      segments,
      since,
      pseudonymize,
      bom: options.bom,
      neutralizeFormulas: options.formulaGuard,
      onProgress: progress?.update,
      signal: io.signal,
    });
    if (partial) {
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      await rename(partial, options.out!);
    }
    progress?.stop(rows);
    const seconds = (performance.now() - started) / 1000;
    io.stderr.write(
      `Exported ${kind === 'links' ? plural(rows, 'link') : plural(rows, 'audit event')} (${options.format}) from ${table} ` +
        `to ${options.out ?? 'standard output'} in ${seconds.toFixed(1)} s${rateSuffix(rows, seconds)}.\n`,
    );
    return 0;
  } catch (error) {
    progress?.stop();
    if (partial) {
      out.destroy();
      await rm(partial, { force: true });
    }
    throw explainConnection(error, target);
  } finally {
    client.destroy();
  }
}

async function s3Command(options: Options, io: CliIo): Promise<number> {
  for (const [flag, set] of [
    ['--out', options.out],
    ['--since', options.since],
    ['--pseudonymize', options.pseudonymize],
    ['--endpoint', options.endpoint],
  ] as const) {
    if (set) {
      throw new CliError(
        `${flag} does not apply to --s3: the S3 export is always the full table (filter and pseudonymize in Athena).`,
      );
    }
  }
  const kind: ExportKind = options.audit ? 'audit' : 'links';
  const bucket = options.bucket ?? read(io.env, 'EXPORT_BUCKET');
  if (!bucket)
    throw new CliError('--s3 needs the export bucket: --bucket NAME or EXPORT_BUCKET (a stack output).');
  const table = targetTable(options, kind, io.env);
  const client = scanClient({ region: options.region }, io.env);
  try {
    let status = await startS3Export(client, {
      tableName: table,
      bucket,
      prefix: options.prefix ?? kind,
      format: (options.s3Format === 'ion' ? 'ION' : 'DYNAMODB_JSON') satisfies S3ExportFormat,
    });
    io.stderr.write(`Started the export of ${table} to S3.\n`);
    if (options.wait) status = await waitForS3Export(client, status.exportArn, waitOptions(io));
    printStatus(status, kind, io);
    return status.status === 'FAILED' ? 1 : 0;
  } finally {
    client.destroy();
  }
}

async function statusCommand(options: Options, io: CliIo): Promise<number> {
  if (!/^arn:aws[a-z-]*:dynamodb:[^:]+:\d{12}:table\/[^/]+\/export\/[^/]+$/.test(options.status!)) {
    throw new CliError(
      '--status needs an export ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/export/ID).',
    );
  }
  const region = options.region ?? options.status!.split(':')[3];
  const client = scanClient({ region }, io.env);
  try {
    const status = options.wait
      ? await waitForS3Export(client, options.status!, waitOptions(io))
      : await describeS3Export(client, options.status!);
    printStatus(status, options.audit ? 'audit' : 'links', io);
    return status.status === 'FAILED' ? 1 : 0;
  } finally {
    client.destroy();
  }
}

function waitOptions(io: CliIo) {
  return {
    intervalMs: io.pollIntervalMs ?? 15_000,
    signal: io.signal,
    onStatus: (s: S3ExportStatus) =>
      io.stderr.write(`${new Date().toISOString()} ${s.exportId}: ${s.status}\n`),
  };
}

function printStatus(status: S3ExportStatus, kind: ExportKind, io: CliIo): void {
  const lines = [
    `export:      ${status.exportArn}`,
    `export id:   ${status.exportId}`,
    `status:      ${status.status}`,
    status.exportTime && `as of:       ${status.exportTime}`,
    status.itemCount !== undefined && `items:       ${status.itemCount}`,
    status.dataLocation && `data:        ${status.dataLocation}`,
    status.failure && `failure:     ${status.failure.code ?? ''} ${status.failure.message ?? ''}`.trimEnd(),
  ].filter(Boolean);
  io.stdout.write(`${lines.join('\n')}\n`);
  if (status.status === 'IN_PROGRESS') {
    io.stderr.write(`Check again with: npm run export -- --status ${status.exportArn}\n`);
  } else if (status.status === 'COMPLETED') {
    io.stderr.write(
      `Query it in Athena (workgroup and table from the stack outputs), e.g.:\n` +
        `  SELECT count(*) FROM ${kind === 'links' ? 'links' : 'audit_events'} WHERE export_id = '${status.exportId}'\n`,
    );
  }
}

/** A low-level client (the Scan export reads raw attribute values), tuned for whole-table reads. */
function scanClient(target: Pick<DynamoTarget, 'endpoint' | 'region'>, env: CliIo['env']) {
  return createDynamoClient({ ...dynamoConfigOf(target, env), tableScans: true });
}

/** `--since`: an ISO 8601 date or date-time; a date alone means its midnight UTC. */
export function parseSince(value: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;
  const date = new Date(value);
  if (!iso.test(value) || Number.isNaN(date.getTime())) {
    throw new CliError(
      `--since must be an ISO 8601 date or date-time with a zone, e.g. 2026-01-01 or 2026-01-01T09:00:00+09:00; got "${value}".`,
    );
  }
  return date;
}

async function pseudonymKey(env: CliIo['env']): Promise<string> {
  try {
    return await readSecret(PSEUDONYM_KEY_VARIABLE, env);
  } catch (error) {
    throw new CliError(
      `--pseudonymize needs a key: set ${PSEUDONYM_KEY_VARIABLE} (at least 32 characters, e.g. \`openssl rand -hex 32\`) ` +
        `or ${PSEUDONYM_KEY_VARIABLE}_ARN (a Secrets Manager secret). ${error instanceof Error ? error.message : ''}`.trim(),
    );
  }
}

/** A progress bar on stderr with rows/s; its total starts at the estimate and grows as rows come. */
function startProgress(estimate: number, io: CliIo) {
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      format: ' {bar} {percentage}% | {value}/{total} rows | {speed} rows/s | {duration_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(Math.max(estimate, 1), 0, { speed: 0 });
  const speed = (rows: number) => Math.round(rows / Math.max((performance.now() - started) / 1000, 0.001));
  return {
    update: (rows: number) => {
      if (rows > bar.getTotal()) bar.setTotal(rows);
      bar.update(rows, { speed: speed(rows) });
    },
    stop: (rows?: number) => {
      if (rows !== undefined) {
        bar.setTotal(Math.max(rows, 1));
        bar.update(rows, { speed: speed(rows) });
      }
      bar.stop();
    },
  };
}

function explainConnection(error: unknown, target: DynamoTarget): unknown {
  if (target.endpoint && isConnectionError(error)) {
    return new CliError(
      `Could not reach DynamoDB at ${target.endpoint} (from ${target.source}). ` +
        (target.localDev ? 'Is the dev server (`npm start`) running?' : ''),
      1,
    );
  }
  if (isMissingTable(error)) {
    return new CliError(`The table does not exist at ${target.source}; pass --table NAME.`, 1);
  }
  return error;
}

/** ECONNREFUSED and friends, however deeply the SDK wrapped them. */
function isConnectionError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  const pattern = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH)\b/;
  if (
    (typeof code === 'string' && pattern.test(code)) ||
    (typeof message === 'string' && pattern.test(message))
  )
    return true;
  if (Array.isArray(errors) && errors.some((e) => isConnectionError(e, depth + 1))) return true;
  return isConnectionError(cause, depth + 1);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
