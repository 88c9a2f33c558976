import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { TABLES, type TableKey } from '../../../functions/manifest/table-definitions.js';
import { localClient } from '../../../functions/local/dynamodb-local.js';
import { startDevStack, type DevStack } from '../../../functions/local/dev-stack.js';
import {
  DEFAULT_COMPANY_MEMBERS,
  DEFAULT_LINE_USERS,
} from '../../../functions/local/emulators/test-identities.js';
import { CHROMIUM_FLAGS, chromiumPath } from '../../support/chromium.js';

/**
 * Pattern 4 end to end in a real browser (Debian's headless Chromium driven by playwright-core),
 * on the stack `npm start` runs: from the demo page to a test user's LINE chat (the LINE Platform
 * emulator), Add friend → the Official Account's linking message → the company sign-in → LINE's
 * account-link dialog → linked (method `account-link`, friend) → Block → not a friend. Every
 * webhook event reaches `POST /webhook/line` signed by the emulator. Set E2E_SCREENSHOT_DIR to keep
 * screenshots of the chat.
 */

const TAKAHASHI = DEFAULT_LINE_USERS[2]!;
const YUI = DEFAULT_COMPANY_MEMBERS[2]!;
const SCREENSHOTS = process.env.E2E_SCREENSHOT_DIR;

let stack: DevStack;
let context: BrowserContext;
let userDataDir: string;
const suffix = randomBytes(4).toString('hex');

beforeAll(async () => {
  for (const key of Object.keys(TABLES) as TableKey[])
    process.env[TABLES[key].envVar] = `${TABLES[key].defaultName}-e2e4-${suffix}`;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  stack = await startDevStack({ port: 0 });
  userDataDir = mkdtempSync(join(tmpdir(), 'line-id-link-e2e4-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 480, height: 900 },
  });
  context.setDefaultTimeout(15_000);
  if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await stack?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The stored link of a LINE user, read straight from the links table. */
async function storedLink(lineUserId: string): Promise<Record<string, unknown> | undefined> {
  const client = localClient(stack.dynamoEndpoint);
  try {
    const result = await DynamoDBDocumentClient.from(client).send(
      new ScanCommand({ TableName: process.env.LINKS_TABLE!, ConsistentRead: true }),
    );
    return result.Items?.find((l) => l.pk === `LINE#${lineUserId}`);
  } finally {
    client.destroy();
  }
}

/** `GET /links/me` as the LINE user (an ID token minted by the emulator, as LIFF would hand it). */
async function linksMe(lineUserId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = await stack.line!.mintIdToken({ userId: lineUserId });
  const res = await fetch(`${stack.api.url}/links/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls `check` until it passes (webhook events are applied by the service as they arrive). */
async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

const startsWith = (prefix: string) => (url: URL) => url.href.startsWith(prefix);

describe('pattern 4 (LINE account link) in headless Chromium', () => {
  it('follow → linking message → company sign-in → LINE dialog → linked → unfollow → not a friend', async () => {
    const line = stack.line!;
    const company = stack.company!;
    const chatUrl = `${line.url}/_emulator/chat/${TAKAHASHI.userId}`;
    const page = await context.newPage();

    // The demo page links to the test user's chat.
    await page.goto(stack.demoUrl);
    const chatLink = page.locator(`#line-chat-users a[data-user-id="${TAKAHASHI.userId}"]`);
    await chatLink.waitFor();
    await Promise.all([page.waitForURL(chatUrl), chatLink.click()]);
    expect(await page.textContent('#friend-status')).toBe('not a friend');

    // Add friend: a signed follow event; the service answers with the linking message.
    await page.click('#follow');
    // The chat reloads after the event was delivered (the form post is answered 303 to the chat).
    await page.waitForSelector('#friend-status.friend');
    await eventually(async () =>
      expect(line.messaging.deliveries.at(-1)).toMatchObject({ status: 200, events: [{ type: 'follow' }] }),
    );
    const startLink = page.locator('li.bot a[href*="/account-link/start?linkToken="]').first();
    await startLink.waitFor();
    await screenshot(page, '1-chat-after-follow');
    const linkMessage = line.messaging.sent.find((s) => s.to === TAKAHASHI.userId);
    expect(linkMessage?.kind).toBe('reply');
    expect(JSON.stringify(linkMessage?.message)).toMatch(/unlink/i);

    // The linking URL runs the company sign-in, then LINE's dialog.
    await Promise.all([page.waitForURL(startsWith(`${company.url}/authorize?`)), startLink.click()]);
    await page.waitForSelector('text=Company sign-in (emulator)');
    await page.check(`input[name="subject"][value="${YUI.memberId}"]`);
    await Promise.all([
      page.waitForURL(startsWith(`${line.url}/dialog/bot/accountLink?`)),
      page.click('button.allow'),
    ]);
    const dialog = new URL(page.url());
    expect(dialog.searchParams.get('linkToken')).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(dialog.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{10,255}$/);
    expect(await page.textContent('#user-name')).toBe(TAKAHASHI.displayName);
    await screenshot(page, '2-line-dialog');

    // Confirm: the signed accountLink event links the accounts; back in the chat.
    await Promise.all([page.waitForURL(startsWith(chatUrl)), page.click('#confirm')]);
    const accountLink = line.messaging.deliveries.at(-1)!;
    expect(accountLink.events[0]).toMatchObject({ type: 'accountLink', link: { result: 'ok' } });
    expect(accountLink.status).toBe(200);
    await eventually(async () => {
      const me = await linksMe(TAKAHASHI.userId);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ companyUserId: YUI.memberId, method: 'account-link', friend: true });
    });
    expect(await storedLink(TAKAHASHI.userId)).toMatchObject({
      companyUserId: YUI.memberId,
      method: 'account-link',
      friend: true,
    });
    await page.reload();
    await screenshot(page, '3-chat-linked');

    // The dialog again with the used link token: LINE answers link.result failed; nothing changes.
    await Promise.all([page.waitForURL(startsWith(chatUrl)), page.goto(dialog.href)]);
    const failed = line.messaging.deliveries.at(-1)!;
    expect(failed.events[0]).toMatchObject({ type: 'accountLink', link: { result: 'failed' } });
    expect(failed.events[0]).not.toHaveProperty('replyToken');
    expect(failed.status).toBe(200);
    expect((await linksMe(TAKAHASHI.userId)).body).toMatchObject({
      companyUserId: YUI.memberId,
      friend: true,
    });

    // Block: a signed unfollow event; the link stays, unreachable.
    await page.click('#unfollow');
    await page.waitForSelector('#friend-status.not-friend');
    await eventually(async () =>
      expect(line.messaging.deliveries.at(-1)).toMatchObject({ status: 200, events: [{ type: 'unfollow' }] }),
    );
    await eventually(async () => {
      const me = await linksMe(TAKAHASHI.userId);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ companyUserId: YUI.memberId, friend: false });
    });
    expect(await storedLink(TAKAHASHI.userId)).toMatchObject({ friend: false });
    await screenshot(page, '4-chat-after-unfollow');
    await page.close();
  });

  it('an unsigned or wrongly signed webhook changes nothing (401)', async () => {
    const body = JSON.stringify({ destination: 'U0', events: [] });
    const url = `${stack.api.url}/webhook/line`;
    const unsigned = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(unsigned.status).toBe(401);
    const forged = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-line-signature': 'AAAA' },
      body,
    });
    expect(forged.status).toBe(401);
    // LINE's URL verification, signed by the emulator: 200.
    const verification = await stack.line!.messaging.verifyWebhook();
    expect(verification.status).toBe(200);
  });
});
