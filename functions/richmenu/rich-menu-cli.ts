import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { Command, CommanderError } from 'commander';
import { createDocumentClient } from '../adapters/dynamo/dynamo-client.js';
import { DynamoLinkRichMenuRecords } from '../adapters/dynamo/dynamo-link-rich-menu-records.js';
import { LineChannelTokenClient } from '../adapters/line/line-channel-token-client.js';
import { LineRichMenuClient, type RichMenuImage } from '../adapters/line/line-rich-menu-client.js';
import { readSecret } from '../adapters/secrets/secret-reader.js';
import { dynamoConfigOf, DynamoTargetError, resolveDynamoTarget } from '../cli/dynamo-target.js';
import { plural } from '../cli/wording.js';
import { ConfigError, loadRichMenuConfig, read } from '../config.js';
import { DomainError, InvalidRequestError } from '../core/errors.js';
import { syncRichMenus } from '../core/use-cases/sync-rich-menus.js';
import { CliError, type CliIo } from '../export/cli.js';

/**
 * Where `npm start` (run from the project folder) writes the LINE settings of its emulator while
 * it runs: the emulator's origin, its Messaging API channel and the demo rich menus. Without
 * LINE_API_BASE, the command works on the running dev server's emulator with them.
 */
export const DEV_LINE_API_FILE = fileURLToPath(new URL('../../.data/dev-line.json', import.meta.url));

/** The settings of the file a running `npm start` wrote; the command's own environment wins. */
const DEV_SETTINGS = [
  'LINE_API_BASE',
  'LINE_API_DATA_BASE',
  'LINE_MESSAGING_CHANNEL_ID',
  'LINE_MESSAGING_CHANNEL_SECRET',
  'RICH_MENU_LINKED_ID',
  'RICH_MENU_UNLINKED_ID',
] as const;

/**
 * The environment, completed from the running dev server's file when LINE_API_BASE is unset (so
 * a real LINE is never mixed with the emulator's channel), with a note on stderr saying so.
 */
function withDevSettings(io: CliIo & { lineApiFile?: string }): Record<string, string | undefined> {
  const env = { ...io.env };
  const file = io.lineApiFile ?? DEV_LINE_API_FILE;
  if (env.LINE_API_BASE?.trim() || !existsSync(file)) return env;
  const written = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<string, string>>;
  for (const name of DEV_SETTINGS) if (!env[name]?.trim() && written[name]) env[name] = written[name];
  io.stderr.write(`Using the LINE emulator of the running npm start (${env.LINE_API_BASE}).\n`);
  return env;
}

function program(): Command {
  const command = new Command('npm run richmenu --')
    .description(
      'Rich menus by link status (README.md, "Rich menus"): create one, or bring every link in line.',
    )
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  command
    .command('apply')
    .description(
      "Create a rich menu from <folder>/richmenu.json (checked with LINE's validate endpoint) and its image <folder>/richmenu.png or .jpg; print its ID and the setting line",
    )
    .argument('<folder>', 'folder with richmenu.json and richmenu.png (or richmenu.jpg)')
    .option(
      '--as <status>',
      "the setting it is for: linked or unlinked (default: the folder's name when it is one of them)",
    )
    .option(
      '--default',
      "also make it the account's default rich menu (shown to users without a per-user menu)",
    )
    .exitOverride();
  command
    .command('sync')
    .description(
      'Bring every existing link in line with RICH_MENU_LINKED_ID: bulk links (500 users a request) what is not yet recorded with it; a re-run sends nothing new',
    )
    .option('--endpoint <url>', 'DynamoDB endpoint (default: DYNAMODB_ENDPOINT, else the dev server)')
    .option('--region <region>', 'read the links from AWS in this region')
    .option('--table <name>', 'links table (default LINKS_TABLE or the service default)')
    .option('--no-progress', 'no progress bar')
    .exitOverride();
  return command;
}

interface SyncOptions {
  endpoint?: string;
  region?: string;
  table?: string;
  progress: boolean;
}

/**
 * `npm run richmenu -- apply <folder>` and `npm run richmenu -- sync` with the Messaging API of
 * LINE_API_BASE / LINE_API_DATA_BASE (the running dev server's emulator when neither is set) and
 * LINE_MESSAGING_CHANNEL_ID / LINE_MESSAGING_CHANNEL_SECRET (or `_ARN`). Returns the exit code:
 * 0 done, 1 LINE refused or failed (its reasons printed), 2 a usage or settings error.
 */
export async function runRichMenuCli(argv: string[], io: CliIo & { lineApiFile?: string }): Promise<number> {
  const command = program();
  let action:
    | { name: 'apply'; folder: string; as?: string; makeDefault: boolean }
    | { name: 'sync'; options: SyncOptions }
    | undefined;
  command.commands
    .find((c) => c.name() === 'apply')!
    .action((folder: string, options: { as?: string; default?: boolean }) => {
      action = {
        name: 'apply',
        folder,
        ...(options.as ? { as: options.as } : {}),
        makeDefault: options.default === true,
      };
    });
  command.commands
    .find((c) => c.name() === 'sync')!
    .action((options: SyncOptions) => {
      action = { name: 'sync', options };
    });
  try {
    command.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed') {
        io.stdout.write(command.helpInformation());
        return 0;
      }
      // No command at all: commander's implicit help, a usage error here.
      if (error.code === 'commander.help') {
        io.stderr.write(`Name a command: apply or sync.\n${command.helpInformation()}`);
        return 2;
      }
      io.stderr.write(`${error.message}\n${command.helpInformation()}`);
      return 2;
    }
    throw error;
  }
  if (!action) {
    io.stderr.write(`Name a command: apply or sync.\n${command.helpInformation()}`);
    return 2;
  }
  try {
    return action.name === 'apply'
      ? await apply(action.folder, action.as, action.makeDefault, io)
      : await sync(action.options, io);
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      io.stderr.write(
        `${error.message}\n${error.errors.map((e) => `  - ${e.path ? `${e.path}: ` : ''}${e.message}`).join('\n')}${error.errors.length ? '\n' : ''}`,
      );
      return 1;
    }
    if (error instanceof CliError) {
      io.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError || error instanceof DynamoTargetError) {
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof DomainError) {
      io.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** The LINE client of the environment (see {@link withDevSettings}). */
function lineClient(env: Record<string, string | undefined>): LineRichMenuClient {
  const channelId = read(env, 'LINE_MESSAGING_CHANNEL_ID');
  if (!channelId)
    throw new CliError(
      'Set LINE_MESSAGING_CHANNEL_ID and LINE_MESSAGING_CHANNEL_SECRET (or _ARN): rich menus belong to the Messaging API channel.',
    );
  const apiBase = read(env, 'LINE_API_BASE');
  const timeoutMs = read(env, 'OUTBOUND_TIMEOUT_MS');
  return new LineRichMenuClient({
    tokens: new LineChannelTokenClient({
      apiBase,
      channelId,
      channelSecret: () => readSecret('LINE_MESSAGING_CHANNEL_SECRET', env),
      timeoutMs,
    }),
    dataBase: loadRichMenuConfig(env).dataBase,
    timeoutMs,
  });
}

/** `apply <folder>`. */
async function apply(
  folder: string,
  as: string | undefined,
  makeDefault: boolean,
  io: CliIo & { lineApiFile?: string },
): Promise<number> {
  const dir = resolve(folder);
  const status = as ?? (['linked', 'unlinked'].includes(basename(dir)) ? basename(dir) : undefined);
  if (status !== undefined && status !== 'linked' && status !== 'unlinked')
    throw new CliError(`--as must be linked or unlinked, got "${status}".`);
  const richMenuId = await applyRichMenuFolder(lineClient(withDevSettings(io)), dir, { makeDefault });
  io.stderr.write(`Created rich menu ${richMenuId}${makeDefault ? ' (now the default rich menu)' : ''}.\n`);
  const settings = status ? [status] : ['linked', 'unlinked'];
  io.stderr.write(`Put ${settings.length > 1 ? 'one of these lines' : 'this line'} in your settings:\n`);
  for (const s of settings) io.stdout.write(`RICH_MENU_${s.toUpperCase()}_ID=${richMenuId}\n`);
  return 0;
}

/**
 * Creates the rich menu of `dir` (`richmenu.json`, validated by LINE first, and `richmenu.png` or
 * `.jpg`), uploads its image and optionally makes it the default; returns its ID. A menu whose
 * image upload fails is deleted: without its image it can be neither linked nor shown.
 * @throws CliError when the folder's files are missing or unreadable; InvalidRequestError with
 *   LINE's reasons when LINE refuses the definition or the image.
 */
export async function applyRichMenuFolder(
  client: LineRichMenuClient,
  dir: string,
  options: { makeDefault?: boolean } = {},
): Promise<string> {
  const definition = await readDefinition(join(dir, 'richmenu.json'));
  const image = await readImage(dir);
  await client.validate(definition);
  const richMenuId = await client.create(definition);
  try {
    await client.uploadImage(richMenuId, image);
  } catch (error) {
    await client.delete(richMenuId).catch(() => undefined);
    throw error;
  }
  if (options.makeDefault) await client.setDefault(richMenuId);
  return richMenuId;
}

async function readDefinition(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CliError(`${file} cannot be read: a rich menu folder holds richmenu.json.`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

async function readImage(dir: string): Promise<RichMenuImage> {
  const found = (
    [
      ['richmenu.png', 'image/png'],
      ['richmenu.jpg', 'image/jpeg'],
      ['richmenu.jpeg', 'image/jpeg'],
    ] as const
  ).filter(([name]) => existsSync(join(dir, name)));
  if (found.length !== 1)
    throw new CliError(
      found.length === 0
        ? `${dir} has no image: add richmenu.png or richmenu.jpg.`
        : `${dir} has ${found.map(([n]) => n).join(' and ')}: keep one image.`,
    );
  const [name, contentType] = found[0]!;
  return { bytes: await readFile(join(dir, name)), contentType };
}

/** `sync`. */
async function sync(options: SyncOptions, io: CliIo & { lineApiFile?: string }): Promise<number> {
  const env = withDevSettings(io);
  const menus = loadRichMenuConfig(env);
  if (!menus.linkedId && !menus.unlinkedId)
    throw new CliError('Rich menus are off: set RICH_MENU_LINKED_ID (and RICH_MENU_UNLINKED_ID) first.');
  const richMenus = lineClient(env);
  const target = resolveDynamoTarget(options, 'links', io);
  const client = createDocumentClient(dynamoConfigOf(target, io.env));
  try {
    const records = new DynamoLinkRichMenuRecords(client, target.table);
    const bar =
      options.progress && io.stderr.isTTY !== false
        ? new cliProgress.SingleBar(
            {
              stream: io.stderr,
              format: ' {bar} {percentage}% | {value}/{total} links | {duration_formatted}',
              hideCursor: true,
              fps: 5,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    bar?.start(await records.count(), 0);
    let result;
    try {
      result = await syncRichMenus({
        records,
        richMenus,
        ...(menus.linkedId ? { linkedId: menus.linkedId } : {}),
        onProgress: (seen) => bar?.update(seen),
      });
    } finally {
      bar?.stop();
    }
    const what = menus.linkedId ? `linked to ${menus.linkedId}` : 'left without a per-user menu';
    io.stderr.write(
      `${plural(result.links, 'link')}: ${result.switched} ${what} now (${plural(result.requests, 'bulk request')}), ${result.alreadyInLine} already in line.\n`,
    );
    return 0;
  } finally {
    client.destroy();
  }
}
