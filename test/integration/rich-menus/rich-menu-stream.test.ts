import { LineChannelTokenClient } from '../../../functions/adapters/line/line-channel-token-client.js';
import { LineRichMenuClient } from '../../../functions/adapters/line/line-rich-menu-client.js';
import { SAMPLE_RICH_MENUS, startRichMenuStream } from '../../../functions/local/dev-rich-menus.js';
import type { EventSourcePoller } from '../../../functions/local/artifacts/event-sources.js';
import {
  MESSAGING_CHANNEL_ID,
  MESSAGING_CHANNEL_SECRET,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { createSourceHandlers } from '../../../functions/local/source-handlers.js';
import { applyRichMenuFolder } from '../../../functions/richmenu/rich-menu-cli.js';
import { call } from '../../support/http.js';
import { s } from '../../support/member-data.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * Rich menus by link status end to end: links made and removed through the API in DynamoDB
 * Local, the links table's stream read as Lambda's mapping reads it, the real
 * `rich-menu-stream` function, and the LINE emulator's rich menu API (its per-user menus read
 * back through `/_emulator/richmenus`).
 */
let stack: TestStack;
let stream: EventSourcePoller;
let linked: string;
let unlinked: string;

beforeAll(async () => {
  stack = await startTestStack({
    LINE_MESSAGING_CHANNEL_ID: MESSAGING_CHANNEL_ID,
    LINE_MESSAGING_CHANNEL_SECRET: MESSAGING_CHANNEL_SECRET,
  });
  const client = new LineRichMenuClient({
    tokens: new LineChannelTokenClient({
      apiBase: stack.line.url,
      channelId: MESSAGING_CHANNEL_ID,
      channelSecret: async () => MESSAGING_CHANNEL_SECRET,
    }),
    dataBase: stack.line.url,
    timeoutMs: 2000,
  });
  unlinked = await applyRichMenuFolder(client, SAMPLE_RICH_MENUS.unlinked, { makeDefault: true });
  linked = await applyRichMenuFolder(client, SAMPLE_RICH_MENUS.linked);
  stack.configure({ RICH_MENU_LINKED_ID: linked, RICH_MENU_UNLINKED_ID: unlinked });
  // Follows and blocks reach the service, which records them on the link.
  stack.line.messaging.webhookUrl = `${stack.api.url}/webhook/line`;
  stream = await startRichMenuStream({
    handlers: createSourceHandlers(() => stack.env()),
    dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
    linksTable: stack.tables.links,
  });
}, 30_000);
afterAll(async () => {
  await stream?.close();
  await stack?.close();
});

async function perUserMenus(): Promise<Record<string, string>> {
  const res = await fetch(`${stack.line.url}/_emulator/richmenus`);
  return ((await res.json()) as { perUser: Record<string, string> }).perUser;
}

/** A LINE user the emulated account knows (followed), linked by pattern 1. */
async function link(label: string, options: { follow?: boolean } = {}) {
  const lineUserId = testLineUserId(`rich-menu-${label}-${Date.now()}`);
  if (options.follow !== false) await stack.line.messaging.follow(lineUserId);
  const created = await call(stack.api.url, 'POST', '/links', {
    token: await stack.line.mintIdToken({ userId: lineUserId }),
    json: { companyIdToken: await stack.company.mintIdToken({ sub: `M-RICH-${label}-${Date.now()}` }) },
  });
  expect(created.status).toBe(201);
  return lineUserId;
}

async function richMenuCodes(lineUserId: string) {
  return (await stack.scan('audit'))
    .filter((i) => s(i, 'pk') === `LINE#${lineUserId}` && s(i, 'type') === 'rich-menu')
    .sort((a, b) => (s(a, 'sk') ?? '').localeCompare(s(b, 'sk') ?? ''))
    .map((i) => s(i, 'code'));
}

test('a link made by a pattern gets the linked menu, recorded on the link and audited', async () => {
  const user = await link('made');
  await stream.drain();
  expect((await perUserMenus())[user]).toBe(linked);
  expect(await richMenuCodes(user)).toEqual(['rich-menu-linked']);
  const side = (await stack.scan('links')).find((i) => s(i, 'pk') === `LINE#${user}`);
  expect(side && s(side, 'richMenuId')).toBe(linked);
});

test('DELETE /links/me: the unlinked menu', async () => {
  const user = await link('removed');
  await stream.drain();
  const token = await stack.line.mintAccessToken({ userId: user });
  expect((await call(stack.api.url, 'DELETE', '/links/me', { token })).status).toBe(204);
  await stream.drain();
  expect((await perUserMenus())[user]).toBe(unlinked);
  expect(await richMenuCodes(user)).toEqual(['rich-menu-linked', 'rich-menu-linked']);
});

test('LINE answering 503 twice, then 200: retried in-process, switched', async () => {
  stack.line.messaging.setFault('richMenu', { status: 503, times: 2 });
  const user = await link('retried');
  await stream.drain();
  expect((await perUserMenus())[user]).toBe(linked);
  expect(await richMenuCodes(user)).toEqual(['rich-menu-linked']);
});

test('LINE rate-limiting (429) beyond the retries: the record is retried by the stream and switched later', async () => {
  // Four in-process tries fail; the stream's retry of the record then gets through.
  stack.line.messaging.setRateLimit(5);
  const user = await link('throttled');
  await stream.drain(20_000);
  stack.line.messaging.setRateLimit(0);
  expect((await perUserMenus())[user]).toBe(linked);
  expect(await richMenuCodes(user)).toEqual(['rich-menu-linked']);
}, 30_000);

test('LINE refusing for good (a user it does not know): audited as failed, and the next link is switched', async () => {
  const stranger = await link('unknown', { follow: false });
  const next = await link('after');
  await stream.drain();
  expect(await richMenuCodes(stranger)).toEqual(['rich-menu-failed']);
  expect((await perUserMenus())[stranger]).toBeUndefined();
  expect((await perUserMenus())[next]).toBe(linked);
});

test('a user linked before befriending the account (LINE refused the menu) gets it when the follow arrives', async () => {
  const user = await link('later-friend', { follow: false });
  await stream.drain();
  expect(await richMenuCodes(user)).toEqual(['rich-menu-failed']);
  expect(await stack.line.messaging.follow(user)).toHaveProperty('delivery');
  await stream.drain();
  expect((await perUserMenus())[user]).toBe(linked);
  expect(await richMenuCodes(user)).toEqual(['rich-menu-failed', 'rich-menu-linked']);
  // A block and a second follow: the link records the menu, so LINE is not asked again.
  await stack.line.messaging.unfollow(user);
  await stack.line.messaging.follow(user);
  await stream.drain();
  expect(await richMenuCodes(user)).toEqual(['rich-menu-failed', 'rich-menu-linked']);
});
