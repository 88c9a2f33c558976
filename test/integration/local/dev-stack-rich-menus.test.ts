import { randomBytes } from 'node:crypto';
import { startDevStack, type DevStack } from '../../../functions/local/dev-stack.js';
import { taggedTableNames } from '../../../functions/local/dynamodb-local.js';
import { TABLES, type TableKey } from '../../../functions/manifest/table-definitions.js';

/**
 * What `npm start` shows with no settings: two demo rich menus in the LINE emulator, the "not
 * linked" one the default, and the links table's stream switching a user's menu when a link is
 * made and removed (with idle moments in between, when the stream reader finds nothing new).
 */
let stack: DevStack;
const env: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  const names = taggedTableNames(`devrm-${randomBytes(3).toString('hex')}`);
  Object.assign(env, {
    PATH: process.env.PATH,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT,
    ...Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((key) => [TABLES[key].envVar, names[key]])),
  });
  stack = await startDevStack({ port: 0, env });
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

const idle = () => new Promise((resolve) => setTimeout(resolve, 700));

async function menus() {
  const res = await fetch(`${stack.line!.url}/_emulator/richmenus`);
  return (await res.json()) as { defaultRichMenuId: string; perUser: Record<string, string> };
}

test('demo menus are created and switched by link status', async () => {
  expect(env.RICH_MENU_LINKED_ID).toMatch(/^richmenu-[0-9a-f]{32}$/);
  expect(env.RICH_MENU_UNLINKED_ID).toMatch(/^richmenu-[0-9a-f]{32}$/);
  expect((await menus()).defaultRichMenuId).toBe(env.RICH_MENU_UNLINKED_ID);

  const line = stack.line!;
  const user = 'U77deac30d4dd08e161b0bd0ec0fec514';
  await line.messaging.follow(user);
  await idle();
  const token = await line.mintIdToken({ userId: user });
  const linked = await fetch(`${stack.api.url}/links/by-record`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      memberId: 'M-100001',
      factors: { birthDate: '1990-04-12', postalCode: '100-0001' },
    }),
  });
  expect(linked.status).toBe(201);
  await stack.richMenuStream!.drain();
  expect((await menus()).perUser[user]).toBe(env.RICH_MENU_LINKED_ID);
  const page = await (await fetch(`${line.url}/_emulator/chat/${user}`)).text();
  expect(page).toContain(`data-rich-menu-id="${env.RICH_MENU_LINKED_ID}"`);

  await idle();
  const removed = await fetch(`${stack.api.url}/links/me`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(removed.status).toBe(204);
  await stack.richMenuStream!.drain();
  expect((await menus()).perUser[user]).toBe(env.RICH_MENU_UNLINKED_ID);
}, 60_000);
