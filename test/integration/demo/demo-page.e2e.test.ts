import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TABLES, type TableKey } from '../../../functions/manifest/table-definitions.js';
import { localClient } from '../../../functions/local/dynamodb-local.js';
import { startDevStack, type DevStack } from '../../../functions/local/dev-stack.js';
import { CHROMIUM_FLAGS, chromiumPath } from '../../support/chromium.js';

/**
 * The demo LIFF app in headless Chromium, served exactly as `npm start` serves it: the LIFF SDK
 * with liff-mock handing out tokens from the LINE emulator, each action's result next to its
 * button, the reset button, and the page with an emulator switched off. Screenshots of a phone
 * and a desktop viewport go to test-results/demo/ for a person to look at.
 */

const SHOTS = fileURLToPath(new URL('../../../test-results/demo/', import.meta.url));
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } } as const;

let stack: DevStack;
let offline: DevStack;
let browser: Browser;
const suffix = randomBytes(4).toString('hex');

beforeAll(async () => {
  for (const key of Object.keys(TABLES) as TableKey[])
    process.env[TABLES[key].envVar] = `${TABLES[key].defaultName}-demo-${suffix}`;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  // This suite's own tables: the reset button may empty them.
  stack = await startDevStack({ port: 0, resettable: true });
  // A second stack whose environment names a real LINE and a real IdP: no emulators. Its own
  // copy of the environment, so the first stack's handlers are not affected.
  offline = await startDevStack({
    port: 0,
    env: {
      ...process.env,
      LINE_API_BASE: 'https://api.line.me',
      COMPANY_OIDC_ISSUER: 'https://idp.example.com',
      PUBLIC_BASE_URL: undefined,
      APP_RETURN_URLS: undefined,
    },
  });
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: CHROMIUM_FLAGS,
  });
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await offline?.close();
  await stack?.close();
});

async function linkCount(): Promise<number> {
  const client = localClient(stack.dynamoEndpoint);
  try {
    const result = await client.send(
      new ScanCommand({ TableName: process.env.LINKS_TABLE!, ConsistentRead: true }),
    );
    return result.Items?.length ?? 0;
  } finally {
    client.destroy();
  }
}

/** A page that records every failed response and script error. */
async function open(url: string, viewport: { width: number; height: number } = VIEWPORTS.desktop) {
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(10_000);
  const failures: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400 && !new URL(r.url()).pathname.match(/^\/(links|nowhere)/))
      failures.push(`${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => failures.push(`failed ${r.url()}`));
  page.on('pageerror', (e) => failures.push(`error ${e.message}`));
  await page.goto(url);
  return { page, failures };
}

/** Clicks a button and waits for the result next to it; returns [outcome, text]. */
async function press(page: Page, id: string): Promise<[string, string]> {
  await page.click(`#${id}`);
  const output = await page.waitForSelector(`#${id}-result:not([data-outcome="pending"])`);
  return [(await output.getAttribute('data-outcome'))!, (await output.textContent())!];
}

const ready = (page: Page) => page.waitForSelector('#line-user option', { state: 'attached' });

describe('the demo LIFF app', () => {
  test('/demo redirects to /demo/; the page loads with no 404 (favicon included) and no script error', async () => {
    const redirect = await fetch(`${stack.api.url}/demo?x=1`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/demo/?x=1']);
    expect((await fetch(`${stack.api.url}/favicon.ico`)).status).toBe(204);
    const { page, failures } = await open(`${stack.api.url}/demo`);
    await ready(page);
    expect(page.url()).toBe(`${stack.api.url}/demo/`);
    expect(await page.textContent('#line-mode')).toContain('liff-mock');
    expect(failures).toEqual([]);
    await page.close();
  });

  test('link, conflict and lockout: each result next to its button, coloured by outcome', async () => {
    const { page, failures } = await open(stack.demoUrl);
    await ready(page);
    await page.selectOption('#line-user', { index: 0 });
    await page.selectOption('#member', { index: 0 });
    expect(await press(page, 'link')).toEqual(['ok', '201 Created']);
    expect(await press(page, 'me')).toEqual(['ok', '200 OK']);
    await page.selectOption('#line-user', { index: 1 });
    expect(await press(page, 'link')).toEqual(['refused', '409 Conflict · company-user-already-linked']);
    // The log shows the status the server sent.
    expect(await page.textContent('#log li:first-child .status')).toBe('409');
    const [outcome, text] = await press(page, 'forged');
    expect([outcome, text]).toEqual([
      'refused',
      '401 Unauthorized · invalid-line-token · WWW-Authenticate: Bearer realm="line-id-link", error="invalid_token"',
    ]);
    // The access token path of LIFF (liff.getAccessToken) works too.
    await page.selectOption('#line-kind', 'access_token');
    expect(await press(page, 'me')).toEqual(['refused', '404 Not Found · not-linked']);

    await page.selectOption('#line-user', { index: 2 });
    await page.fill('#md-member', 'M-100002');
    await page.fill('#md-birthDate', '1901-01-01');
    await page.fill('#md-postalCode', '100-0001');
    let result = await press(page, 'md-record');
    expect(result).toEqual(['refused', '422 Unprocessable Content · verification-failed']);
    for (let i = 0; i < 6 && !result[1].startsWith('429'); i++) result = await press(page, 'md-record');
    expect(result[0]).toBe('refused');
    expect(result[1]).toMatch(/^429 Too Many Requests · too-many-attempts · Retry-After: \d+ s$/);

    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(viewport);
      await page.locator('#liff').screenshot({ path: join(SHOTS, `${name}-liff.png`) });
      await page.locator('#member-data').screenshot({ path: join(SHOTS, `${name}-member-data.png`) });
    }
    expect(failures).toEqual([]);
    await page.close();
  });

  test('the web-flow banner is not green for conflict, and the log invents no status', async () => {
    for (const [result, outcome] of [
      ['linked', 'ok'],
      ['conflict', 'refused'],
      ['cancelled', 'info'],
      ['error', 'error'],
    ] as const) {
      const { page } = await open(`${stack.demoUrl}?result=${result}`, VIEWPORTS.phone);
      await page.waitForSelector('#web-result:not([hidden])');
      expect(await page.getAttribute('#web-result', 'data-outcome')).toBe(outcome);
      expect(await page.textContent('#web-result-value')).toBe(result);
      expect(await page.textContent('#log li:first-child .status')).toBe(
        outcome === 'info' ? 'info' : 'not sent',
      );
      if (result === 'conflict') {
        const colour = await page.$eval('#web-result', (e) => getComputedStyle(e).backgroundColor);
        expect(colour).not.toBe('rgb(232, 248, 238)'); // the green of ok
        await page.locator('#web').screenshot({ path: join(SHOTS, 'phone-web-conflict.png') });
      }
      await page.close();
    }
  });

  test('reset empties the local links and says so next to the button', async () => {
    const { page } = await open(stack.demoUrl);
    await ready(page);
    await page.selectOption('#line-user', { index: 3 });
    await page.selectOption('#member', { index: 3 });
    expect((await press(page, 'link'))[0]).toBe('ok');
    expect(await linkCount()).toBeGreaterThan(0);
    expect(await press(page, 'reset')).toEqual(['ok', '200 · emptied 6 tables']);
    expect(await linkCount()).toBe(0);
    expect(await press(page, 'me')).toEqual(['refused', '404 Not Found · not-linked']);
    await page.close();
  });

  test('with the emulators off the page says so and disables what cannot work', async () => {
    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      const { page, failures } = await open(offline.demoUrl, viewport);
      await page.waitForSelector('#environment:not([hidden])');
      const notices = await page.textContent('#environment-notices');
      expect(notices).toContain('LINE emulator is off (LINE_API_BASE=https://api.line.me)');
      expect(notices).toContain('company IdP emulator is off (COMPANY_OIDC_ISSUER=https://idp.example.com)');
      for (const id of ['link', 'me', 'unlink', 'md-record', 'history-get', 'web-company-start'])
        expect([id, await page.isDisabled(`#${id}`)]).toEqual([id, true]);
      // What needs no LINE token still works.
      expect(await press(page, 'unknown-route')).toEqual(['refused', '404 Not Found · route-not-found']);
      expect(failures).toEqual([]);
      await page.screenshot({ path: join(SHOTS, `${name}-emulators-off.png`) });
      await page.close();
    }
  });

  test('/openapi.json is served', async () => {
    const response = await fetch(`${stack.api.url}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; servers: Array<{ url: string }> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0]!.url).toBe(process.env.PUBLIC_BASE_URL);
  });
});
