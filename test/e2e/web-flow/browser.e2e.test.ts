import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { BrowserContext, Page } from 'playwright-core';
import { TABLES, type TableKey } from '../../../functions/manifest/table-definitions.js';
import { localClient } from '../../../functions/local/dynamodb-local.js';
import { startDevStack, type DevStack } from '../../../functions/local/dev-stack.js';
import {
  DEFAULT_COMPANY_MEMBERS,
  DEFAULT_LINE_USERS,
} from '../../../functions/local/emulators/test-identities.js';
import { launchBrowser } from '../../support/chromium.js';

/**
 * End to end in a real browser: Debian's headless Chromium driven by playwright-core clicks
 * through the demo page's "Link on the web" exactly as `npm start` serves it (the same
 * startDevStack), across the LINE and company IdP emulators' consent pages, with real cookies,
 * redirects and SameSite rules.
 */

const SATO = DEFAULT_LINE_USERS[0]!;
const SUZUKI = DEFAULT_LINE_USERS[1]!;
const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!;

let stack: DevStack;
let context: BrowserContext;
let closeBrowser: (() => Promise<void>) | undefined;
const suffix = randomBytes(4).toString('hex');

beforeAll(async () => {
  // This suite's own tables in the run's DynamoDB Local (DYNAMODB_ENDPOINT comes from globalSetup).
  for (const key of Object.keys(TABLES) as TableKey[])
    process.env[TABLES[key].envVar] = `${TABLES[key].defaultName}-e2e-${suffix}`;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  stack = await startDevStack({ port: 0 });
  ({ context, close: closeBrowser } = await launchBrowser());
}, 60_000);

afterAll(async () => {
  await closeBrowser?.();
  await stack?.close();
});

async function links(): Promise<Array<Record<string, { S?: string }>>> {
  const client = localClient(stack.dynamoEndpoint);
  try {
    const result = await client.send(
      new ScanCommand({ TableName: process.env.LINKS_TABLE!, ConsistentRead: true }),
    );
    return (result.Items ?? []) as Array<Record<string, { S?: string }>>;
  } finally {
    client.destroy();
  }
}

const startsWith = (prefix: string) => (url: URL) => url.href.startsWith(prefix);

/** Opens the demo and clicks "Link on the web"; resolves on the LINE emulator's consent page. */
async function startOnDemo(page: Page): Promise<void> {
  await page.goto(stack.demoUrl);
  await page.waitForSelector('#line-user option', { state: 'attached' });
  await Promise.all([
    page.waitForURL(startsWith(`${stack.line!.url}/oauth2/v2.1/authorize?`)),
    page.click('#web-link'),
  ]);
  await page.waitForSelector('text=LINE Login (emulator)');
}

/** On an emulator consent page: picks `subject` and presses Allow or Cancel. */
async function consent(page: Page, subject: string, decision: 'allow' | 'cancel'): Promise<void> {
  await page.check(`input[name="subject"][value="${subject}"]`);
  await page.click(`button.${decision}`);
}

describe('"Link on the web" in headless Chromium', () => {
  it('LINE login → company login → linked, shown on the demo page', async () => {
    const page = await context.newPage();
    await startOnDemo(page);
    await Promise.all([
      page.waitForURL(startsWith(`${stack.company!.url}/authorize?`)),
      consent(page, SATO.userId, 'allow'),
    ]);
    await page.waitForSelector('text=Company sign-in (emulator)');
    await Promise.all([page.waitForURL(startsWith(stack.demoUrl)), consent(page, HANAKO.memberId, 'allow')]);
    await page.waitForSelector('#web-result:not([hidden])');
    expect(await page.textContent('#web-result-value')).toBe('linked');
    // The page dropped ?result from the address bar; the binding cookie is gone.
    await page.waitForURL(stack.demoUrl);
    expect((await context.cookies()).filter((c) => c.name.includes('binding'))).toEqual([]);
    const stored = await links();
    expect(stored.find((l) => l.pk?.S === `LINE#${SATO.userId}`)?.companyUserId?.S).toBe(HANAKO.memberId);
    await page.close();
  });

  it('cancel at LINE → the cancel page → back to the demo with result=cancelled, nothing linked', async () => {
    const before = (await links()).length;
    const page = await context.newPage();
    await startOnDemo(page);
    await consent(page, SUZUKI.userId, 'cancel');
    await page.waitForSelector('#error-code');
    expect(await page.textContent('#error-code')).toBe('login-cancelled');
    expect(await page.textContent('h1')).toBe('Sign-in cancelled');
    await Promise.all([page.waitForURL(startsWith(stack.demoUrl)), page.click('text=Back to the app')]);
    await page.waitForSelector('#web-result:not([hidden])');
    expect(await page.textContent('#web-result-value')).toBe('cancelled');
    expect((await links()).length).toBe(before);
    await page.close();
  });

  it('cancel at the company IdP → straight back to the demo with result=cancelled', async () => {
    const before = (await links()).length;
    const page = await context.newPage();
    await startOnDemo(page);
    await Promise.all([
      page.waitForURL(startsWith(`${stack.company!.url}/authorize?`)),
      consent(page, SUZUKI.userId, 'allow'),
    ]);
    await Promise.all([page.waitForURL(startsWith(stack.demoUrl)), consent(page, HANAKO.memberId, 'cancel')]);
    await page.waitForSelector('#web-result:not([hidden])');
    expect(await page.textContent('#web-result-value')).toBe('cancelled');
    expect((await links()).length).toBe(before);
    await page.close();
  });
});
