import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TABLES, type TableKey } from '../../../functions/manifest/table-definitions.js';
import { localClient } from '../../../functions/local/dynamodb-local.js';
import { startDevStack, type DevStack } from '../../../functions/local/dev-stack.js';
import { taggedNaming } from '../../../functions/local/artifacts/cloud-assembly.js';
import { CHROMIUM_FLAGS, chromiumPath } from '../../support/chromium.js';

/**
 * The demo LIFF app in headless Chromium, served exactly as `npm start` serves it: the LIFF SDK
 * with liff-mock handing out tokens from the LINE emulator, each action's result next to its
 * button, the reset button, and the page with an emulator switched off. Screenshots of a phone
 * and a desktop viewport go to test-results/demo/ for a person to look at.
 *
 * The same steps run twice: against `npm start` (the handlers' source in this process) and
 * against `npm run start:deployed` (the app synthesized by the CDK CLI, each route served by its
 * bundle in cdk.out as the template wires it). Where the two differ, one of them has a bug.
 */

const SHOTS = fileURLToPath(new URL('../../../test-results/demo/', import.meta.url));
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } } as const;

let browser: Browser;
const suffix = randomBytes(4).toString('hex');
// Before any stack completes process.env: the deployed-artifact stacks start from this copy.
const pristine: NodeJS.ProcessEnv = { ...process.env };
/** A real LINE and a real IdP: no emulators. */
const emulatorsOff = {
  LINE_API_BASE: 'https://api.line.me',
  COMPANY_OIDC_ISSUER: 'https://idp.example.com',
  PUBLIC_BASE_URL: undefined,
  APP_RETURN_URLS: undefined,
  // The first stack's demo rich menus live in its emulator: this stack has none to switch.
  RICH_MENU_LINKED_ID: undefined,
  RICH_MENU_UNLINKED_ID: undefined,
};

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: CHROMIUM_FLAGS,
  });
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** The two stacks each run of the steps needs: one with the emulators, one with them off. */
interface Stacks {
  stack: DevStack;
  offline: DevStack;
}

/** `npm start`: the handlers read process.env, so the first stack completes that one. */
async function startSource(): Promise<Stacks> {
  for (const key of Object.keys(TABLES) as TableKey[])
    process.env[TABLES[key].envVar] = `${TABLES[key].defaultName}-demo-${suffix}`;
  // This suite's own tables: the reset button may empty them.
  const stack = await startDevStack({ port: 0, resettable: true });
  // Its own copy of the environment, so the first stack's handlers are not affected.
  const offline = await startDevStack({ port: 0, env: { ...process.env, ...emulatorsOff } }).catch(
    async (error: unknown) => {
      await stack.close();
      throw error;
    },
  );
  return { stack, offline };
}

/**
 * `npm run start:deployed` on port 0, each stack from its own synth with its own settings, both
 * on this suite's own copies of the template's tables.
 */
async function startArtifacts(): Promise<Stacks> {
  const naming = taggedNaming(`demo-${suffix}`);
  const stack = await startDevStack({
    target: 'artifacts',
    port: 0,
    resettable: true,
    naming,
    env: { ...pristine },
  });
  const offline = await startDevStack({
    target: 'artifacts',
    port: 0,
    naming,
    env: { ...pristine, ...emulatorsOff },
  }).catch(async (error: unknown) => {
    await stack.close();
    throw error;
  });
  return { stack, offline };
}

describe.each([
  ['npm start (the source)', startSource, ''],
  ['npm run start:deployed (the bundles of cdk.out)', startArtifacts, 'deployed-'],
])('the demo LIFF app, %s', (_label, start, shotPrefix) => {
  let stacks: Stacks | undefined;
  // The deployed-artifact mode synthesizes twice with the CDK CLI, some 40 s each.
  beforeAll(async () => {
    stacks = await start();
  }, 240_000);
  afterAll(async () => {
    await stacks?.offline.close();
    await stacks?.stack.close();
  });
  demoSteps(() => stacks!, shotPrefix);

  if (start === startArtifacts) {
    test('the steps ran the bundles of cdk.out, and each AWS call they made is one its role allows', async () => {
      const deployed = stacks!.stack.deployed!;
      const ran = (routeKey: string) => {
        const route = deployed.app.httpApi.routes.find((r) => r.routeKey === routeKey)!;
        return deployed.hosts.get(route.functionLogicalId)!.coldStarts;
      };
      expect(ran('POST /links')).toBeGreaterThan(0);
      expect(ran('POST /links/by-record')).toBeGreaterThan(0);
      await deployed.drain();
      const report = await deployed.iamReport();
      expect(report.checked).toBeGreaterThan(0);
      expect(report.denied).toEqual([]);
    });
  }
});

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

/** Every step of the demo suite, against the stacks `current` returns once they run. */
function demoSteps(current: () => Stacks, shotPrefix: string): void {
  const shot = (name: string) => join(SHOTS, `${shotPrefix}${name}.png`);

  async function linkCount(): Promise<number> {
    const { stack } = current();
    const client = localClient(stack.dynamoEndpoint);
    try {
      const result = await client.send(
        new ScanCommand({ TableName: stack.tableNames.links!, ConsistentRead: true }),
      );
      return result.Items?.length ?? 0;
    } finally {
      client.destroy();
    }
  }

  test('/demo redirects to /demo/; the page loads with no 404 (favicon included) and no script error', async () => {
    const { stack } = current();
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
    const { stack } = current();
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
      await page.locator('#liff').screenshot({ path: shot(`${name}-liff`) });
      await page.locator('#member-data').screenshot({ path: shot(`${name}-member-data`) });
    }
    expect(failures).toEqual([]);
    await page.close();
  });

  test('the web-flow banner is not green for conflict, and the log invents no status', async () => {
    const { stack } = current();
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
        await page.locator('#web').screenshot({ path: shot('phone-web-conflict') });
      }
      await page.close();
    }
  });

  test('unlink sends the access token; the notice says only what happened', async () => {
    const { stack } = current();
    const { page, failures } = await open(stack.demoUrl, VIEWPORTS.phone);
    await ready(page);
    await page.selectOption('#line-user', { index: 3 });
    await page.selectOption('#member', { index: 3 });
    // The ID token is selected for the other calls; the unlink still sends the access token.
    await page.selectOption('#line-kind', 'id_token');
    expect((await press(page, 'link'))[0]).toBe('ok');
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'DELETE') sent.push(r.headers().authorization ?? '');
    });
    expect(await press(page, 'unlink')).toEqual(['ok', '204 No Content · deauthorized']);
    // A LINE access token, not an ID token: its payload names no user (an ID token's has `sub`).
    const payload = JSON.parse(Buffer.from(sent[0]!.split('.')[1]!, 'base64url').toString()) as object;
    expect(payload).not.toHaveProperty('sub');
    const notice = async () => [
      await page.getAttribute('#unlink-outcome', 'data-outcome'),
      await page.textContent('#unlink-outcome'),
    ];
    expect(await notice()).toEqual([
      'ok',
      "Unlinked. This service's permission to use your LINE account was also withdrawn at LINE.",
    ]);
    expect(await press(page, 'unlink')).toEqual(['ok', '204 No Content · not-linked']);
    expect(await notice()).toEqual(['info', 'Nothing was linked, so nothing changed.']);
    expect(await page.textContent('#unlink-notice')).not.toMatch(/it is deauthorized/);

    // What the API answers in the other cases (a LIFF app on another channel, LINE down).
    for (const [result, outcome, says] of [
      [
        'deauthorize-not-possible',
        'ok',
        /^Unlinked\. The permission .* could not be withdrawn from here .*Authorized apps\.$/,
      ],
      ['deauthorize-failed', 'refused', /^Unlinked\. LINE did not answer, .*Authorized apps\.$/],
    ] as const) {
      await page.route('**/links/me', (route) =>
        route.fulfill({ status: 204, headers: { 'unlink-result': result, 'cache-control': 'no-store' } }),
      );
      expect(await press(page, 'unlink')).toEqual(['ok', `204 No Content · ${result}`]);
      const [shown, text] = await notice();
      expect(shown).toBe(outcome);
      expect(text).toMatch(says);
      expect(text).not.toMatch(/withdrawn at LINE/);
      await page.unroute('**/links/me');
    }
    await page.locator('#liff').screenshot({ path: shot('phone-unlink-notice') });
    expect(failures).toEqual([]);
    await page.close();
  });

  test('back from the web flow on a phone, the result is in view and focused', async () => {
    const { stack } = current();
    const { page } = await open(`${stack.demoUrl}?result=linked`, VIEWPORTS.phone);
    await page.waitForSelector('#web-result:not([hidden])');
    await page.waitForFunction(() => document.activeElement?.id === 'web-result');
    const box = await page.evaluate(() => {
      const rect = document.getElementById('web-result')!.getBoundingClientRect();
      return { top: rect.top, bottom: rect.bottom, height: innerHeight, scrollY };
    });
    expect(box.scrollY).toBeGreaterThan(0);
    expect(box.top).toBeGreaterThanOrEqual(0);
    expect(box.bottom).toBeLessThanOrEqual(box.height);
    await page.screenshot({ path: shot('phone-web-result-in-view') });
    await page.close();
  });

  test('reset empties the local links and says so next to the button', async () => {
    const { stack } = current();
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
    const { offline } = current();
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
      await page.screenshot({ path: shot(`${name}-emulators-off`) });
      await page.close();
    }
  });

  test('/openapi.json is served', async () => {
    const { stack } = current();
    const response = await fetch(`${stack.api.url}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; servers: Array<{ url: string }> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0]!.url).toBe(stack.demoUrl.replace(/\/demo\/$/, ''));
  });
}
