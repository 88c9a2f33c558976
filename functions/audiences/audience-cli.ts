import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { csvRecord } from '../adapters/csv/csv-record.js';
import { parseAudienceRequest, type AudienceJob } from '../core/audiences.js';
import { InvalidRequestError } from '../core/errors.js';
import { CliError, type CliIo } from '../export/cli.js';
import {
  AdminApiError,
  callAdminApi,
  idempotencyKeyHeader,
  type AdminMessagesClientOptions,
} from '../messages/admin-messages-client.js';
import { adminApiTarget, readRecipients, signingCredentials } from '../messages/send-cli.js';
import { idempotencyKeyProblem, parseCommand } from '../cli/parse-command.js';

function program(): Command {
  return new Command('npm run audience --')
    .description(
      'Build a LINE audience from members: POST /admin/audiences (signed with AWS credentials), then follow the job to its end. Members who are not linked are reported, never sent.',
    )
    .requiredOption(
      '--members <file>',
      'member IDs: a CSV with a column memberId (or companyUserId), else its first column; or a text file, one a line',
    )
    .option('--column <name>', "the members file's column that holds the member numbers")
    .option('--description <name>', 'create an audience of this name (1 to 120 characters)')
    .option('--audience-group-id <id>', 'add to this existing audience instead')
    .option(
      '--api <url>',
      'the API (a deployment, or the dev server); AWS credentials from AWS_ACCESS_KEY_ID… or the SDK default chain',
      'http://localhost:3000',
    )
    .option('--region <region>', 'the signing region (default: the environment, else the API host name)')
    .option(
      '--idempotency-key <key>',
      'the key an earlier run printed: run it again to follow the same job, never start a second (default: a new UUID, printed)',
    )
    .option('-o, --out <file>', 'CSV of the members not linked', 'audience-not-linked.csv')
    .option('--no-progress', 'no progress bar')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
}

interface Options {
  members: string;
  column?: string;
  description?: string;
  audienceGroupId?: string;
  api: string;
  region?: string;
  idempotencyKey?: string;
  out: string;
  progress: boolean;
}

/** The job as `GET /admin/audiences/jobs/{jobId}` answers it. */
type JobPage = AudienceJob & { notLinkedMemberIds?: string[]; nextCursor?: string };

/**
 * `npm run audience`: `POST /admin/audiences` from a terminal, signed with AWS Signature V4 as
 * `npm run send --api` signs, with an `Idempotency-Key` on every try (a new UUID, printed; running
 * it again with `--idempotency-key` follows the same job). The job is followed with a progress bar
 * until it ends; the members not linked go to `--out`. Errors are one line.
 * Returns the exit code: 0 done, 1 the job failed or an error, 2 usage or a refused request.
 */
export async function runAudienceCli(argv: string[], io: CliIo): Promise<number> {
  const command = program();
  const stop = parseCommand(command, argv, io);
  if (stop !== undefined) return stop;
  const options = command.opts<Options>();
  const key = options.idempotencyKey ?? randomUUID();
  const usage =
    idempotencyKeyProblem(key) ??
    ((options.description === undefined) === (options.audienceGroupId === undefined)
      ? 'Give --description to create an audience, or --audience-group-id to add to one.'
      : options.audienceGroupId !== undefined && !/^[1-9]\d{0,15}$/.test(options.audienceGroupId)
        ? '--audience-group-id: a positive integer, the audience ID.'
        : undefined);
  if (usage) {
    io.stderr.write(`${usage}\n`);
    return 2;
  }
  try {
    const memberIds = await readMembers(options.members, options.column);
    const request = parseAudienceRequest(
      options.description !== undefined
        ? { description: options.description, memberIds }
        : { audienceGroupId: Number(options.audienceGroupId), memberIds },
    );
    const { base, region } = adminApiTarget(options.api, options.region, io.env);
    const client: AdminMessagesClientOptions = {
      baseUrl: base.href,
      region,
      credentials: signingCredentials(io.env, region),
      onRetry: (reason, waitMs) =>
        io.stderr.write(`${reason}: trying again in ${Math.ceil(waitMs / 1000)} s with the same key\n`),
    };
    io.stderr.write(
      `Idempotency key: ${key}\n  (if this run stops, run it again with --idempotency-key ${JSON.stringify(key)}: it follows the same job)\n`,
    );
    const started = await callAdminApi(client, 'POST', '/admin/audiences', JSON.stringify(request), {
      'content-type': 'application/json',
      'idempotency-key': idempotencyKeyHeader(key),
    });
    const jobId = (started.body as { jobId?: unknown } | undefined)?.jobId;
    if (typeof jobId !== 'string') throw new AdminApiError('The API answered without a job.');
    const location = started.location ?? `/admin/audiences/jobs/${jobId}`;
    io.stdout.write(`Job ${jobId}: ${location}\n`);

    const job = await follow(client, location, request.memberIds.length, options, io);
    const notLinked = [...(job.notLinkedMemberIds ?? [])];
    for (let cursor = job.nextCursor; cursor !== undefined;) {
      const page = (await callAdminApi(client, 'GET', `${location}?cursor=${encodeURIComponent(cursor)}`))
        .body as JobPage;
      notLinked.push(...(page.notLinkedMemberIds ?? []));
      cursor = page.nextCursor;
    }
    await writeNotLinked(options.out, notLinked);
    const { requested, linked, notLinked: notLinkedCount, uploaded } = job.counts;
    io.stdout.write(
      `Audience ${job.audienceGroupId ?? '(none: no member is linked)'}: ${job.status}. Requested ${requested}, ` +
        `linked ${linked}, not linked ${notLinkedCount} (${options.out}), uploaded ${uploaded}.\n`,
    );
    for (const error of job.errors) io.stderr.write(`${error.code}: ${error.detail}\n`);
    return job.status === 'done' ? 0 : 1;
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      io.stderr.write(`${error.message} ${error.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}\n`);
      return 2;
    }
    if (error instanceof AdminApiError) {
      io.stderr.write(`${error.message}\n`);
      return error.status !== undefined && error.status >= 400 && error.status < 500 ? 2 : 1;
    }
    if (error instanceof CliError) {
      io.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

/** Asks for the job until it is no longer running, moving the bar by the members resolved. */
async function follow(
  client: AdminMessagesClientOptions,
  location: string,
  members: number,
  options: Options,
  io: CliIo,
): Promise<JobPage> {
  const bar =
    options.progress && io.stderr.isTTY !== false
      ? new cliProgress.SingleBar(
          {
            stream: io.stderr,
            format:
              ' {bar} {percentage}% | {value}/{total} members | uploaded {uploaded} | {duration_formatted}',
            hideCursor: true,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(members, 0, { uploaded: 0 });
  try {
    for (;;) {
      const job = (await callAdminApi(client, 'GET', location)).body as JobPage;
      bar?.update(job.counts.linked + job.counts.notLinked, { uploaded: job.counts.uploaded });
      if (job.status !== 'running') return job;
      await new Promise((resolve) => setTimeout(resolve, io.pollIntervalMs ?? 1000));
    }
  } finally {
    bar?.stop();
  }
}

async function readMembers(file: string, column: string | undefined): Promise<string[]> {
  try {
    return await readRecipients(file, column, '--members');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`--members: ${file}: ${(error as Error).message}`, 2);
  }
}

async function writeNotLinked(file: string, memberIds: readonly string[]): Promise<void> {
  const out = createWriteStream(file);
  out.write(csvRecord(['memberId']));
  for (const id of memberIds) out.write(csvRecord([id]));
  out.end();
  await finished(out);
}
