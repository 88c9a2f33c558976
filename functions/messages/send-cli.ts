import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { Command, CommanderError } from 'commander';
import { parse } from 'csv-parse';
import { DynamoLinkRepository } from '../adapters/dynamo/dynamo-link-repository.js';
import { createDocumentClient } from '../adapters/dynamo/dynamo-client.js';
import { LineChannelTokenClient } from '../adapters/line/line-channel-token-client.js';
import { LineMulticastClient } from '../adapters/line/line-multicast-client.js';
import { DomainError, InvalidRequestError } from '../core/errors.js';
import { parseSendRequest, summarize, type MemberSendResult } from '../core/messages.js';
import { sendToMembers } from '../core/use-cases/send-messages.js';
import { csvRecord } from '../adapters/csv/csv-record.js';
import { CliError, type CliIo } from '../export/cli.js';
import { dynamoConfigOf, DynamoTargetError, resolveDynamoTarget } from '../cli/dynamo-target.js';
import { readSecret } from '../config.js';

function program(): Command {
  return new Command('npm run send --')
    .description(
      'Send LINE messages to members by company user ID: resolves their links, skips members not linked or not friends, multicasts in batches of 500 and writes a result CSV.',
    )
    .requiredOption(
      '--to <file>',
      'CSV of recipients: a column companyUserId (or memberId), else the first column',
    )
    .requiredOption(
      '--message <file>',
      'JSON: one LINE message object, an array of up to 5, or {"messages": [...]}',
    )
    .option('--dry-run', 'resolve and report only; send nothing')
    .option('-o, --out <file>', 'result CSV (companyUserId,status)', 'send-results.csv')
    .option('--endpoint <url>', 'DynamoDB endpoint (default: DYNAMODB_ENDPOINT, else the dev server)')
    .option('--region <region>', 'read the links from AWS in this region')
    .option('--table <name>', 'links table (default LINKS_TABLE or the service default)')
    .option('--no-progress', 'no progress bar')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
}

/**
 * `npm run send`: the same use case as `POST /admin/messages`, run from a terminal against the
 * links table (the dev server's DynamoDB Local by default) and the Messaging API of
 * `LINE_API_BASE` with `LINE_MESSAGING_CHANNEL_ID` / `LINE_MESSAGING_CHANNEL_SECRET` (or `_ARN`).
 * Returns the exit code: 0 all reachable members sent, 1 some failed or an error, 2 usage.
 */
export async function runSendCli(argv: string[], io: CliIo): Promise<number> {
  const command = program();
  try {
    command.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') {
        io.stdout.write(command.helpInformation());
        return 0;
      }
      io.stderr.write(`${error.message}\n${command.helpInformation()}`);
      return 2;
    }
    throw error;
  }
  const options = command.opts<{
    to: string;
    message: string;
    dryRun?: boolean;
    out: string;
    endpoint?: string;
    region?: string;
    table?: string;
    progress: boolean;
  }>();
  try {
    const to = await readRecipients(options.to);
    const request = parseSendRequest({ to, messages: readMessages(options.message) });
    const target = resolveDynamoTarget(options, 'links', io);
    const client = createDocumentClient(dynamoConfigOf(target, io.env));
    try {
      const links = new DynamoLinkRepository(client, target.table);
      const apiBase = io.env.LINE_API_BASE?.trim() || 'https://api.line.me';
      const channelId = io.env.LINE_MESSAGING_CHANNEL_ID?.trim();
      if (!options.dryRun && !channelId)
        throw new CliError(
          'Set LINE_MESSAGING_CHANNEL_ID and LINE_MESSAGING_CHANNEL_SECRET (or _ARN) to send.',
        );
      const sender = new LineMulticastClient({
        tokens: new LineChannelTokenClient({
          apiBase,
          channelId: channelId ?? '',
          channelSecret: () => readSecret('LINE_MESSAGING_CHANNEL_SECRET', io.env),
        }),
      });
      const bar =
        options.progress && io.stderr.isTTY !== false
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
      const recipients = new Set(request.to).size;
      bar?.start(recipients, 0);
      let results: MemberSendResult[];
      try {
        results = await sendToMembers(
          request,
          { links, sender, retryKey: () => randomUUID(), onProgress: (done) => bar?.update(done) },
          { dryRun: options.dryRun },
        );
      } finally {
        bar?.stop();
      }
      await writeResults(options.out, results, options.dryRun === true);
      const counts = summarize(results);
      io.stderr.write(
        `${options.dryRun ? 'Dry run (nothing sent): would send' : 'Sent'} ${counts.sent}, not linked ${counts['not-linked']}, ` +
          `not friends ${counts['not-friend']}, failed ${counts.failed}. Results: ${options.out}\n`,
      );
      return counts.failed > 0 ? 1 : 0;
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
    if (error instanceof CliError || error instanceof DynamoTargetError || error instanceof DomainError) {
      io.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** Company user IDs from the recipients CSV. */
async function readRecipients(file: string): Promise<string[]> {
  const ids: string[] = [];
  let column = -1;
  let first = true;
  const parser = createReadStream(file).pipe(parse({ bom: true, skip_empty_lines: true, trim: true }));
  for await (const row of parser as AsyncIterable<string[]>) {
    if (first) {
      first = false;
      column = row.findIndex((h) => /^(companyUserId|memberId)$/i.test(h));
      if (column >= 0) continue;
      column = 0;
    }
    const id = row[column];
    if (id) ids.push(id);
  }
  return ids;
}

/** Messages from the message file. */
function readMessages(file: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${file} is not readable JSON: ${(error as Error).message}`);
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
