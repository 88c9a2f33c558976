import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { parse } from 'csv-parse';
import { DynamoLinkRepository } from '../adapters/dynamo/dynamo-link-repository.js';
import { createDocumentClient } from '../adapters/dynamo/dynamo-client.js';
import { LineChannelTokenClient } from '../adapters/line/line-channel-token-client.js';
import { LineMulticastClient } from '../adapters/line/line-multicast-client.js';
import { DomainError, InvalidRequestError } from '../core/errors.js';
import { parseSendRequest, retryKeyFor, summarize, type MemberSendResult } from '../core/member-messages.js';
import { sendToMembers } from '../core/use-cases/send-messages.js';
import { csvRecord } from '../adapters/csv/csv-record.js';
import { CliError, type CliIo } from '../export/cli.js';
import { awsCredentials } from '../adapters/aws/aws-credentials.js';
import { dynamoConfigOf, DynamoTargetError, envRegion, resolveDynamoTarget } from '../cli/dynamo-target.js';
import { ConfigError, read } from '../config.js';
import { rawValue } from '../manifest/config-schema.js';
import { readSecret } from '../adapters/secrets/secret-reader.js';
import {
  AdminApiError,
  ApiUnreachableError,
  sendThroughAdminApi,
  type SigningCredentials,
} from './admin-messages-client.js';
import { checkReadable, describeReadError } from '../import/csv-source.js';
import { ImportFileError } from '../core/member-file.js';
import { idempotencyKeyProblem, parseCommand } from '../cli/parse-command.js';

function program(): Command {
  return new Command('npm run send --')
    .description(
      'Send LINE messages to members by company user ID: resolves their links, skips members not linked or not friends, multicasts in batches of 500 and writes a result CSV.',
    )
    .requiredOption(
      '--to <file>',
      'CSV of recipients: the column companyUserId or memberId (or --column), or a one-column list without a header',
    )
    .option('--column <name>', "the recipients file's column that holds the member numbers")
    .requiredOption(
      '--message <file>',
      'JSON: one LINE message object, an array of up to 5, or {"messages": [...]}',
    )
    .option(
      '--idempotency-key <key>',
      'the key an earlier run printed: run it again without sending twice what it sent (default: a new UUID, printed)',
    )
    .option(
      '--api <url>',
      'send through POST /admin/messages of this API (a deployment or the dev server), signed with AWS credentials (AWS_ACCESS_KEY_ID… or the SDK default chain)',
    )
    .option('--dry-run', 'resolve and report only; send nothing')
    .option(
      '--results <file>',
      'result CSV (companyUserId,status); default send-results.csv in a new temporary folder, printed',
    )
    .addOption(new Option('-o, --out <file>', 'the same as --results').hideHelp())
    .option('--endpoint <url>', 'DynamoDB endpoint (default: DYNAMODB_ENDPOINT, else the dev server)')
    .option('--region <region>', 'read the links from AWS in this region (with --api: the signing region)')
    .option('--table <name>', 'links table (default LINKS_TABLE or the service default)')
    .option('--no-progress', 'no progress bar')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
}

/**
 * `npm run send`: the same use case as `POST /admin/messages`, run from a terminal against the
 * links table (the dev server's DynamoDB Local by default) and the Messaging API of
 * `LINE_API_BASE` with `LINE_MESSAGING_CHANNEL_ID` / `LINE_MESSAGING_CHANNEL_SECRET` (or `_ARN`);
 * or, with `--api`, through `POST /admin/messages` itself.
 *
 * Every run has an idempotency key (a new UUID, printed; `--idempotency-key` gives an earlier
 * run's): through the API it is the `Idempotency-Key` of the request and of each of its retries;
 * run directly it seeds the `X-Line-Retry-Key` of each multicast request. Either way, running a
 * failed send again with its key sends nothing twice (for 24 hours: the API's and LINE's memory).
 * Returns the exit code: 0 all reachable members sent, 1 some failed or an error (the API or
 * DynamoDB not answering: "is npm start running?"), 2 usage or unusable input files (missing,
 * empty, no column of member numbers). Every error is one line on stderr.
 */
export async function runSendCli(argv: string[], io: CliIo): Promise<number> {
  const command = program();
  const stop = parseCommand(command, argv, io);
  if (stop !== undefined) return stop;
  const options = command.opts<Options>();
  const key = options.idempotencyKey ?? randomUUID();
  const usage =
    idempotencyKeyProblem(key) ??
    (options.api && (options.dryRun || options.endpoint || options.table)
      ? '--dry-run, --endpoint and --table do not apply with --api.'
      : undefined);
  if (usage) {
    io.stderr.write(`${usage}\n${command.helpInformation()}`);
    return 2;
  }
  try {
    const to = await readRecipients(options.to, options.column);
    const request = parseSendRequest({ to, messages: readMessages(options.message) });
    if (!options.dryRun)
      io.stderr.write(
        `Idempotency key: ${key}\n  (if this run fails, run it again with --idempotency-key ${JSON.stringify(key)}: nothing is sent twice)\n`,
      );
    const results = await resultsPath(options);
    if (options.api) return await sendThroughApi(options.api, request, key, options, results, io);
    // The request's own fingerprint is part of every retry key: the same key with other
    // recipients or messages never meets an earlier run's keys at LINE.
    const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const target = resolveDynamoTarget(options, 'links', io);
    const client = createDocumentClient(dynamoConfigOf(target, io.env));
    try {
      const links = new DynamoLinkRepository(client, target.table);
      const apiBase = read(io.env, 'LINE_API_BASE');
      const channelId = read(io.env, 'LINE_MESSAGING_CHANNEL_ID');
      if (!options.dryRun && !channelId)
        throw new CliError(
          'Set LINE_MESSAGING_CHANNEL_ID and LINE_MESSAGING_CHANNEL_SECRET (or _ARN) to send.',
          1,
        );
      const sender = new LineMulticastClient({
        tokens: new LineChannelTokenClient({
          apiBase,
          channelId: channelId ?? '',
          channelSecret: () => readSecret('LINE_MESSAGING_CHANNEL_SECRET', io.env),
        }),
      });
      const bar = progressBar(options, io);
      const recipients = new Set(request.to).size;
      bar?.start(recipients, 0);
      let sent: MemberSendResult[];
      try {
        sent = await sendToMembers(
          request,
          {
            links,
            sender,
            retryKey: (requestIndex) => retryKeyFor(`npm run send:${key}:${fingerprint}:${requestIndex}`),
            onProgress: (done) => bar?.update(done),
          },
          { dryRun: options.dryRun },
        );
      } finally {
        bar?.stop();
      }
      await writeResults(results, sent, options.dryRun === true);
      const counts = summarize(sent);
      io.stderr.write(
        `${options.dryRun ? 'Dry run (nothing sent): would send' : 'Sent'} ${counts.sent}, not linked ${counts['not-linked']}, ` +
          `not friends ${counts['not-friend']}, failed ${counts.failed}. Results: ${results}\n`,
      );
      return counts.failed > 0 ? 1 : 0;
    } catch (error) {
      if (connectionRefused(error))
        throw new CliError(
          `Nothing answers at the DynamoDB endpoint ${target.endpoint ?? '(AWS)'} (from ${target.source}): is npm start running?`,
          1,
        );
      throw error;
    } finally {
      client.destroy();
    }
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      io.stderr.write(
        `${error.message}\n${error.errors.map((e) => `  - ${e.path}: ${e.message}`).join('\n')}\n`,
      );
      return 2;
    }
    if (error instanceof ApiUnreachableError) {
      io.stderr.write(
        `Nothing answers at ${error.url} (connection refused): is npm start running? (or is --api right?)\n`,
      );
      return 1;
    }
    if (error instanceof CliError) {
      io.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    if (
      error instanceof ConfigError ||
      error instanceof DynamoTargetError ||
      error instanceof DomainError ||
      error instanceof AdminApiError
    ) {
      io.stderr.write(`${error.message}\n`);
      return 1;
    }
    if (connectionRefused(error)) {
      io.stderr.write(
        `Nothing answers at ${refusedAddress(error)} (connection refused): is npm start running?\n`,
      );
      return 1;
    }
    io.stderr.write(
      `npm run send failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
    );
    return 1;
  }
}

/** `--results`, else `send-results.csv` in a new temporary folder (never the working folder). */
async function resultsPath(options: Options): Promise<string> {
  const named = options.results ?? options.out;
  if (named) return named;
  return join(await mkdtemp(join(tmpdir(), 'line-id-link-send-')), 'send-results.csv');
}

/** Whether a connection was refused somewhere in the error's causes (fetch and the AWS SDK nest them). */
function connectionRefused(error: unknown): boolean {
  return refusedAddress(error) !== undefined;
}

function refusedAddress(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const e = error as { code?: unknown; address?: unknown; port?: unknown; cause?: unknown; errors?: unknown };
  if (e.code === 'ECONNREFUSED')
    return typeof e.address === 'string' ? `${e.address}${e.port ? `:${String(e.port)}` : ''}` : 'the server';
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const found = refusedAddress(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

interface Options {
  to: string;
  column?: string;
  results?: string;
  message: string;
  idempotencyKey?: string;
  api?: string;
  dryRun?: boolean;
  out?: string;
  endpoint?: string;
  region?: string;
  table?: string;
  progress: boolean;
}

/** `--api`: the request through `POST /admin/messages`, with the run's key on every try. */
async function sendThroughApi(
  api: string,
  request: { to: string[]; messages: unknown[] },
  key: string,
  options: Options,
  results: string,
  io: CliIo,
): Promise<number> {
  const { base, region } = adminApiTarget(api, options.region, io.env);
  const bar = progressBar(options, io);
  bar?.start(new Set(request.to).size, 0);
  let outcome;
  try {
    outcome = await sendThroughAdminApi(JSON.stringify(request), key, {
      baseUrl: base.href,
      region,
      credentials: signingCredentials(io.env, region),
      pollIntervalMs: io.pollIntervalMs,
      onRetry: (reason, waitMs) =>
        io.stderr.write(`${reason}: trying again in ${Math.ceil(waitMs / 1000)} s with the same key\n`),
      onProgress: (done) => bar?.update(done),
    });
  } finally {
    bar?.stop();
  }
  await writeResults(results, outcome.results, false);
  const counts = summarize(outcome.results);
  io.stderr.write(
    `${outcome.jobId ? `Job ${outcome.jobId}: sent` : 'Sent'} ${counts.sent}, not linked ${counts['not-linked']}, ` +
      `not friends ${counts['not-friend']}, failed ${counts.failed}. Results: ${results}\n`,
  );
  return counts.failed > 0 ? 1 : 0;
}

/**
 * The admin API's origin from `--api`, and the region to sign for: `--region`, the environment's,
 * the one in an API Gateway host name, else any (the dev server accepts any region).
 */
export function adminApiTarget(
  api: string,
  region: string | undefined,
  env: Record<string, string | undefined>,
): { base: URL; region: string } {
  let base: URL;
  try {
    base = new URL(api);
  } catch {
    throw new CliError(`--api: ${api} is not a URL.`, 2);
  }
  return {
    base,
    region:
      region ??
      envRegion(env) ??
      base.hostname.match(/\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/)?.[1] ??
      'us-east-1',
  };
}

/**
 * Credentials to sign admin requests with: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and
 * AWS_SESSION_TOKEN) when set (the dev server prints its own), else the AWS SDK's default chain
 * (profile, SSO, instance role…). These are the SDK's own variables, not the service's
 * configuration, so they are read as functions/config.ts reads them, outside the schema.
 */
export function signingCredentials(
  env: Record<string, string | undefined>,
  region: string,
): () => Promise<SigningCredentials> {
  const accessKeyId = rawValue(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = rawValue(env, 'AWS_SECRET_ACCESS_KEY');
  const sessionToken = rawValue(env, 'AWS_SESSION_TOKEN');
  const resolve = awsCredentials({
    region,
    ...(accessKeyId && secretAccessKey
      ? { keys: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
  });
  return async () => {
    try {
      return await resolve();
    } catch (error) {
      throw new CliError(`No AWS credentials to sign the request with: ${(error as Error).message}`, 1);
    }
  };
}

function progressBar(options: Options, io: CliIo) {
  return options.progress && io.stderr.isTTY !== false
    ? new cliProgress.SingleBar(
        {
          stream: io.stderr,
          format: ' {bar} {percentage}% | {value}/{total} members | {duration_formatted}',
          hideCursor: true,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
}

/** Header names that mark the column of member numbers without `--column`. */
const ID_COLUMN = /^(companyUserId|memberId)$/i;

/**
 * Company user IDs from the recipients CSV: the column `--column` names, else the one headed
 * `companyUserId` or `memberId`; a file of one column without such a header is a plain list (its
 * first line a member number too). A file that cannot be read, is empty, has several columns but
 * none of the member numbers, or no recipient, is a usage error naming what to do, after `option`
 * (the command line's name of the file).
 */
export async function readRecipients(file: string, column?: string, option = '--to'): Promise<string[]> {
  try {
    await checkReadable(file, file);
  } catch (error) {
    if (error instanceof ImportFileError) throw new CliError(`${option}: ${error.message}`, 2);
    throw error;
  }
  const rows: string[][] = [];
  try {
    const parser = createReadStream(file).pipe(
      parse({ bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }),
    );
    for await (const row of parser as AsyncIterable<string[]>) rows.push(row);
  } catch (error) {
    throw new CliError(`${option}: ${file} is not a readable CSV: ${(error as Error).message}`, 2);
  }
  if (rows.length === 0)
    throw new CliError(
      `${option}: ${file} is empty; it needs a header such as companyUserId and a member number a line.`,
      2,
    );
  const header = rows[0]!;
  let index: number;
  let data: string[][];
  if (column !== undefined) {
    index = header.findIndex((h) => h === column);
    if (index < 0)
      throw new CliError(
        `--column: ${file} has no column "${column}" (its header: ${header.join(', ')}).`,
        2,
      );
    data = rows.slice(1);
  } else if ((index = header.findIndex((h) => ID_COLUMN.test(h))) >= 0) {
    data = rows.slice(1);
  } else if (header.length === 1) {
    index = 0;
    data = rows;
  } else {
    throw new CliError(
      `${option}: which column of ${file} holds the member numbers? Its header is ${header.join(', ')}: name the column with --column <name> (or head it companyUserId).`,
      2,
    );
  }
  const ids = data.map((row) => row[index]).filter((id): id is string => Boolean(id));
  if (ids.length === 0) throw new CliError(`${option}: ${file} has no member numbers below its header.`, 2);
  return ids;
}

/** Messages from the message file. */
function readMessages(file: string): unknown {
  let value: unknown;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`--message: ${describeReadError(error, file, resolve(file))}`, 2);
  }
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--message: ${file} is not JSON: ${(error as Error).message}`, 2);
  }
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object' && Array.isArray((value as { messages?: unknown }).messages))
    return (value as { messages: unknown[] }).messages;
  return [value];
}

async function writeResults(
  file: string,
  results: readonly MemberSendResult[],
  dryRun: boolean,
): Promise<void> {
  const out = createWriteStream(file);
  out.write(csvRecord(['companyUserId', 'status']));
  for (const r of results) {
    const status = dryRun && r.status === 'sent' ? 'would-send' : r.status;
    out.write(csvRecord([r.companyUserId, status]));
  }
  out.end();
  await finished(out);
}
