import { mkdtemp, rm, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoLinkRichMenuRecords } from '../../../functions/adapters/dynamo/dynamo-link-rich-menu-records.js';
import { LineChannelTokenClient } from '../../../functions/adapters/line/line-channel-token-client.js';
import { LineRichMenuClient } from '../../../functions/adapters/line/line-rich-menu-client.js';
import { syncRichMenus } from '../../../functions/core/use-cases/sync-rich-menus.js';
import { loadDynamoConfig } from '../../../functions/config.js';
import { createFreshTables, localClient } from '../../../functions/local/dynamodb-local.js';
import { SAMPLE_RICH_MENUS } from '../../../functions/local/dev-rich-menus.js';
import {
  startLinePlatformEmulator,
  type LinePlatformEmulator,
} from '../../../functions/local/emulators/line-platform-emulator.js';
import {
  MESSAGING_CHANNEL_ID,
  MESSAGING_CHANNEL_SECRET,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { runRichMenuCli } from '../../../functions/richmenu/rich-menu-cli.js';

/**
 * `npm run richmenu` against the LINE emulator and DynamoDB Local: `apply` creates a menu from a
 * folder, `sync` bulk links every link in requests of at most 500 users and a re-run sends
 * nothing; every mistake is one clean message with its exit code.
 */
let line: LinePlatformEmulator;
let dynamo: DynamoDBClient;
let linksTable: string;
let dir: string;

const endpoint = () => process.env.DYNAMODB_ENDPOINT!;

beforeAll(async () => {
  line = await startLinePlatformEmulator({
    channels: [{ channelId: '1234567890', channelSecret: 'x'.repeat(32) }],
  });
  dynamo = localClient(endpoint());
  linksTable = (await createFreshTables(dynamo, 'richmenu')).links;
  dir = await mkdtemp(join(tmpdir(), 'richmenu-cli-'));
});
afterAll(async () => {
  await line.close();
  dynamo.destroy();
  await rm(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}) {
  return {
    LINE_API_BASE: line.url,
    LINE_API_DATA_BASE: line.url,
    LINE_MESSAGING_CHANNEL_ID: MESSAGING_CHANNEL_ID,
    LINE_MESSAGING_CHANNEL_SECRET: MESSAGING_CHANNEL_SECRET,
    DYNAMODB_ENDPOINT: endpoint(),
    LINKS_TABLE: linksTable,
    ...extra,
  };
}

async function run(argv: string[], extra: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  const stderr = Object.assign(
    sink((s) => (err += s)),
    { isTTY: false },
  );
  const code = await runRichMenuCli(argv, {
    env: env(extra),
    stdout: sink((s) => (out += s)),
    stderr,
    lineApiFile: join(dir, 'no-such-file'),
  });
  return { code, out, err };
}

async function perUserMenus(): Promise<Record<string, string>> {
  const res = await fetch(`${line.url}/_emulator/richmenus`);
  return ((await res.json()) as { perUser: Record<string, string> }).perUser;
}

function client() {
  return new LineRichMenuClient({
    tokens: new LineChannelTokenClient({
      apiBase: line.url,
      channelId: MESSAGING_CHANNEL_ID,
      channelSecret: async () => MESSAGING_CHANNEL_SECRET,
    }),
    dataBase: line.url,
    timeoutMs: 2000,
  });
}

describe('apply', () => {
  test('creates the menu with its image, makes it the default and prints the setting line', async () => {
    const { code, out, err } = await run(['apply', SAMPLE_RICH_MENUS.linked, '--default']);
    expect(code).toBe(0);
    const id = /^RICH_MENU_LINKED_ID=(richmenu-[0-9a-f]{32})\n$/.exec(out)?.[1];
    expect(id).toBeDefined();
    expect(err).toContain(`Created rich menu ${id} (now the default rich menu).`);
    const state = (await (await fetch(`${line.url}/_emulator/richmenus`)).json()) as {
      defaultRichMenuId: string;
      richmenus: Array<{ richMenuId: string; hasImage: boolean; name: string }>;
    };
    expect(state.defaultRichMenuId).toBe(id);
    expect(state.richmenus.find((m) => m.richMenuId === id)).toMatchObject({
      hasImage: true,
      name: 'line-id-link: linked',
    });
  });

  test("LINE's refusal of the definition: its reasons, exit 1, no menu left behind", async () => {
    const folder = join(dir, 'too-long');
    await mkdir(folder);
    await copyFile(join(SAMPLE_RICH_MENUS.unlinked, 'richmenu.png'), join(folder, 'richmenu.png'));
    await writeFile(
      join(folder, 'richmenu.json'),
      JSON.stringify({
        size: { width: 1200, height: 405 },
        selected: false,
        name: 'x',
        chatBarText: 'a chat bar text that is far too long',
        areas: [
          { bounds: { x: 0, y: 0, width: 1300, height: 405 }, action: { type: 'message', text: 'hi' } },
        ],
      }),
    );
    const before = (
      (await (await fetch(`${line.url}/_emulator/richmenus`)).json()) as { richmenus: unknown[] }
    ).richmenus.length;
    const { code, out, err } = await run(['apply', folder]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe(
      'LINE refused the rich menu: The request body has 2 error(s)\n' +
        '  - chatBarText: size must be between 0 and 14\n' +
        '  - areas[0].bounds: must be within the rich menu size\n',
    );
    const after = (
      (await (await fetch(`${line.url}/_emulator/richmenus`)).json()) as { richmenus: unknown[] }
    ).richmenus.length;
    expect(after).toBe(before);
  });

  test.each([
    [
      ['apply', '/no/such/folder'],
      2,
      /^\/no\/such\/folder\/richmenu\.json cannot be read: a rich menu folder holds richmenu\.json\.\n$/,
    ],
    [['apply'], 2, /^error: missing required argument 'folder'\n/],
    [['frobnicate'], 2, /^error: unknown command 'frobnicate'\n/],
    [[], 2, /^Name a command: apply or sync\.\nUsage: npm run richmenu -- /],
    [
      ['apply', SAMPLE_RICH_MENUS.linked, '--as', 'friends'],
      2,
      /^--as must be linked or unlinked, got "friends"\.\n$/,
    ],
  ])('%j: exit %i, one clean message', async (argv, exit, message) => {
    const { code, err } = await run(argv);
    expect(code).toBe(exit);
    expect(err).toMatch(message);
  });

  test('bad JSON and a missing image: exit 2, named', async () => {
    const folder = join(dir, 'broken');
    await mkdir(folder);
    await writeFile(join(folder, 'richmenu.json'), '{ "size": ');
    expect((await run(['apply', folder])).err).toMatch(/^.*broken\/richmenu\.json is not JSON: /);
    await writeFile(join(folder, 'richmenu.json'), '{}');
    const missing = await run(['apply', folder]);
    expect(missing).toMatchObject({
      code: 2,
      err: `${folder} has no image: add richmenu.png or richmenu.jpg.\n`,
    });
  });

  test('without the Messaging API channel: exit 2, says what to set', async () => {
    const { code, err } = await run(['apply', SAMPLE_RICH_MENUS.linked], { LINE_MESSAGING_CHANNEL_ID: '' });
    expect(code).toBe(2);
    expect(err).toMatch(/^Set LINE_MESSAGING_CHANNEL_ID and LINE_MESSAGING_CHANNEL_SECRET/);
  });
});

describe('sync', () => {
  const users = Array.from({ length: 1001 }, (_, i) => testLineUserId(`sync-${i}`));

  beforeAll(async () => {
    for (let i = 0; i < users.length; i += 25) {
      await dynamo.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [linksTable]: users.slice(i, i + 25).map((lineUserId, j) => ({
              PutRequest: {
                Item: {
                  pk: { S: `LINE#${lineUserId}` },
                  lineUserId: { S: lineUserId },
                  companyUserId: { S: `M-SYNC-${i + j}` },
                  method: { S: 'oidc' },
                  linkedAt: { S: '2026-11-01T00:00:00.000Z' },
                },
              },
            })),
          },
        }),
      );
    }
    for (const user of users.slice(0, 3)) await line.messaging.follow(user);
  }, 60_000);

  test('without a menu set: exit 2, nothing sent', async () => {
    const { code, err } = await run(['sync']);
    expect(code).toBe(2);
    expect(err).toBe('Rich menus are off: set RICH_MENU_LINKED_ID (and RICH_MENU_UNLINKED_ID) first.\n');
  });

  test('bulk links in requests of at most 500 users; a re-run sends nothing', async () => {
    const menu = (await run(['apply', SAMPLE_RICH_MENUS.linked])).out.trim().split('=')[1]!;
    const real = client();
    const sizes: number[] = [];
    const counting = {
      linkToUser: real.linkToUser.bind(real),
      unlinkFromUser: real.unlinkFromUser.bind(real),
      unlinkFromUsers: real.unlinkFromUsers.bind(real),
      linkToUsers: async (ids: readonly string[], id: string) => {
        sizes.push(ids.length);
        return real.linkToUsers(ids, id);
      },
    };
    const documents = createDocumentClient(loadDynamoConfig({ DYNAMODB_ENDPOINT: endpoint() }));
    try {
      const records = new DynamoLinkRichMenuRecords(documents, linksTable);
      const first = await syncRichMenus({ records, richMenus: counting, linkedId: menu });
      expect(first).toMatchObject({ links: 1001, switched: 1001, requests: 3 });
      expect(sizes.sort((a, b) => b - a)).toEqual([500, 500, 1]);
      // LINE applies a bulk request after its 202; the emulator knows only the users who followed.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const menus = await perUserMenus();
      expect(users.slice(0, 3).map((u) => menus[u])).toEqual([menu, menu, menu]);

      const again = await run(['sync'], { RICH_MENU_LINKED_ID: menu });
      expect(again).toMatchObject({
        code: 0,
        err: `1001 links: 0 linked to ${menu} now (0 bulk requests), 1001 already in line.\n`,
      });
    } finally {
      documents.destroy();
    }
  }, 60_000);
});
