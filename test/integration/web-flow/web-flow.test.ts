import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DEFAULT_COMPANY_MEMBERS,
  DEFAULT_LINE_USERS,
} from '../../../functions/local/emulators/test-identities.js';
import { decide, openAuthorize } from '../../support/oauth-browser.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';
import { TestBrowser, type Hop } from '../../support/web-browser.js';

/**
 * The web linking flow end to end over HTTP: the real handlers behind the API Gateway adapter,
 * DynamoDB Local, and the LINE and company IdP emulators with their authorize pages and token
 * endpoints. Every refusal asserts that nothing was linked.
 */

const APP = 'https://app.example.com/linked';
const SECOND_APP = 'http://localhost:9999/return';
const COOKIE = 'line-id-link-binding';
const SATO = DEFAULT_LINE_USERS[0]!.userId;
const SUZUKI = DEFAULT_LINE_USERS[1]!.userId;
const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!.memberId;
const ICHIRO = DEFAULT_COMPANY_MEMBERS[1]!.memberId;

let stack: TestStack;
let api: string;

beforeAll(async () => {
  stack = await startTestStack({ APP_RETURN_URLS: `${APP},${SECOND_APP}` });
  api = stack.api.url;
});

afterAll(async () => {
  await stack.close();
});

afterEach(async () => {
  stack.line.setOutage('all', null);
  stack.line.setTokenFault(null);
  stack.line.setAutoLogin(null);
  stack.company.setOutage('all', null);
  stack.company.setTokenFault(null);
  await clear('sessions');
});

// ------------------------------------------------------------------ helpers

const loginUrl = (returnTo: string | null = APP) =>
  `${api}/auth/line/login${returnTo === null ? '' : `?returnTo=${encodeURIComponent(returnTo)}`}`;

/** Starts the flow; returns the LINE authorize URL. */
async function start(browser: TestBrowser, returnTo: string | null = APP): Promise<string> {
  const hop = await browser.get(loginUrl(returnTo));
  expect(hop.status).toBe(302);
  return hop.location!;
}

/** Start + LINE consent: the callback URL LINE sends the browser to (not visited yet). */
async function lineCallbackUrl(
  browser: TestBrowser,
  lineUser = SATO,
  returnTo: string | null = APP,
): Promise<string> {
  return decide(await start(browser, returnTo), lineUser);
}

/** Runs the LINE leg; returns the company authorize URL. */
async function throughLine(browser: TestBrowser, lineUser = SATO): Promise<string> {
  const hop = await browser.get(await lineCallbackUrl(browser, lineUser));
  expect(hop.status).toBe(302);
  expect(hop.location!.startsWith(stack.company.url)).toBe(true);
  return hop.location!;
}

/** The whole flow; returns the final hop (the redirect to the app). */
async function link(browser: TestBrowser, lineUser: string, member: string): Promise<Hop> {
  return browser.get(await decide(await throughLine(browser, lineUser), member));
}

async function linkCount(): Promise<number> {
  return (await stack.scan('links')).length;
}

async function sessionItems() {
  return stack.scan('sessions');
}

async function clear(table: 'links' | 'sessions'): Promise<void> {
  for (const item of await stack.scan(table)) {
    await stack.dynamo.send(
      new DeleteItemCommand({ TableName: stack.tables[table], Key: { pk: item.pk as { S: string } } }),
    );
  }
}

const unlinkAll = () => clear('links');

/** Asserts a refusal page: HTML, its status and code, and the headers every web page carries. */
function expectPage(hop: Hop, status: number, code: string): void {
  expect(hop.status).toBe(status);
  expect(hop.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(hop.body).toContain(`<code id="error-code">${code}</code>`);
  expectWebHeaders(hop);
}

function expectWebHeaders(hop: Hop): void {
  expect(hop.headers.get('cache-control')).toBe('no-store');
  expect(hop.headers.get('referrer-policy')).toBe('no-referrer');
  expect(hop.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(hop.headers.get('content-security-policy')).toContain("default-src 'none'");
}

/** The `href`s of a page's links, unescaped. */
function linksOf(hop: Hop): string[] {
  return [...hop.body.matchAll(/href="([^"]+)"/g)].map((m) =>
    m[1]!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))),
  );
}

function withParam(url: string, name: string, value: string | null): string {
  const u = new URL(url);
  if (value === null) u.searchParams.delete(name);
  else u.searchParams.set(name, value);
  return u.href;
}

// ------------------------------------------------------------------ the happy path

describe('the web flow', () => {
  afterEach(unlinkAll);

  it('links LINE and company users through both authorization-code flows, and returns with result=linked only', async () => {
    const browser = new TestBrowser();
    const lineTokenCalls = stack.line.stats.token;

    // 1. Login start.
    const startHop = await browser.get(loginUrl());
    expect(startHop.status).toBe(302);
    expectWebHeaders(startHop);
    const authorize = new URL(startHop.location!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${stack.line.url}/oauth2/v2.1/authorize`);
    const q = Object.fromEntries(authorize.searchParams);
    expect(q).toMatchObject({
      response_type: 'code',
      client_id: '1234567890',
      redirect_uri: `${api}/auth/line/callback`,
      scope: 'openid profile',
      code_challenge_method: 'S256',
    });
    expect(q.state).toMatch(/^[A-Za-z0-9]{32,}$/);
    expect(q.nonce).toMatch(/^[A-Za-z0-9]{32,}$/);
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.search).toContain('scope=openid%20profile');

    const cookie = browser.cookie(COOKIE)!;
    expect(cookie.value).toMatch(/^[0-9a-f]{64}$/);
    expect(cookie.attributes).toEqual(
      expect.arrayContaining(['httponly', 'samesite=lax', 'path=/auth', 'max-age=600']),
    );
    expect(cookie.attributes).not.toContain('secure'); // PUBLIC_BASE_URL is http://127.0.0.1

    const [session] = await sessionItems();
    expect(session!.pk).toEqual({ S: `LOGIN#line#${q.state}` });
    expect(session!.nonce).toEqual({ S: q.nonce });
    expect(session!.returnTo).toEqual({ S: APP });
    expect(JSON.stringify(session)).not.toContain(cookie.value);
    const ttl = Number((session!.expiresAt as { N: string }).N) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);

    // 2. LINE consent, then LINE's callback.
    const callback = await decide(startHop.location!, SATO);
    const lineHop = await browser.get(callback);
    expect(lineHop.status).toBe(302);
    expectWebHeaders(lineHop);
    expect(stack.line.stats.token).toBe(lineTokenCalls + 1);
    const companyAuthorize = new URL(lineHop.location!);
    expect(`${companyAuthorize.origin}${companyAuthorize.pathname}`).toBe(`${stack.company.url}/authorize`);
    expect(Object.fromEntries(companyAuthorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'line-id-link',
      redirect_uri: `${api}/auth/company/callback`,
      scope: 'openid',
      code_challenge_method: 'S256',
    });
    expect(companyAuthorize.searchParams.get('state')).not.toBe(q.state);
    expect(companyAuthorize.searchParams.get('nonce')).not.toBe(q.nonce);
    // The binding is rotated for the company leg.
    expect(browser.cookie(COOKIE)!.value).not.toBe(cookie.value);
    const sessions = await sessionItems();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.lineUserId).toEqual({ S: SATO });

    // 3. Company consent, then the company callback: linked.
    const final = await browser.get(await decide(lineHop.location!, HANAKO));
    expect(final.status).toBe(302);
    expectWebHeaders(final);
    expect(final.location).toBe(`${APP}?result=linked`);
    expect(browser.cookie(COOKIE)).toBeUndefined();
    expect(await sessionItems()).toHaveLength(0);
    const links = await stack.scan('links');
    expect(links).toHaveLength(2);
    expect(links.find((l) => (l.pk as { S: string }).S === `LINE#${SATO}`)).toMatchObject({
      companyUserId: { S: HANAKO },
      method: { S: 'oidc' },
    });
    // Nothing secret ever appears in a URL the browser is sent to, except the IdPs' own code
    // on the way back to us.
    for (const hop of browser.history.filter((h) => h.url.startsWith(api))) {
      expect(hop.location ?? '').not.toMatch(/code=|id_token|access_token|code_verifier/);
    }
  });

  it('answers already_linked for the same pair and conflict for another, changing nothing', async () => {
    expect((await link(new TestBrowser(), SATO, HANAKO)).location).toBe(`${APP}?result=linked`);
    expect((await link(new TestBrowser(), SATO, HANAKO)).location).toBe(`${APP}?result=already_linked`);
    expect((await link(new TestBrowser(), SATO, ICHIRO)).location).toBe(`${APP}?result=conflict`);
    expect((await link(new TestBrowser(), SUZUKI, HANAKO)).location).toBe(`${APP}?result=conflict`);
    expect(await linkCount()).toBe(2);
  });

  it('returns to the returnTo the flow started with, and to the first allowlisted URL without one', async () => {
    const browser = new TestBrowser();
    const callback = await decide(await start(browser, SECOND_APP), SATO);
    const companyLeg = await browser.get(callback);
    const final = await browser.get(await decide(companyLeg.location!, HANAKO));
    expect(final.location).toBe(`${SECOND_APP}?result=linked`);
    await unlinkAll();
    const other = new TestBrowser();
    const defaultLeg = await other.get(await lineCallbackUrl(other, SATO, null));
    expect((await other.get(await decide(defaultLeg.location!, HANAKO))).location).toBe(
      `${APP}?result=linked`,
    );
  });
});

// ------------------------------------------------------------------ login start refusals

describe('GET /auth/line/login refusals', () => {
  it.each([
    ['another host', 'https://evil.example/linked'],
    ['a protocol-relative URL', '//evil.example/linked'],
    ['a backslash trick', '/\\evil.example'],
    ['a scheme without slashes', 'https:evil.example'],
    ['userinfo', 'https://app.example.com@evil.example/linked'],
    ['a percent-encoded host', 'https://app%2Eexample.com/linked'],
    ['another port', 'https://app.example.com:444/linked'],
    ['another scheme', 'http://app.example.com/linked'],
  ])('refuses returnTo with %s: a 400 page, no session, no cookie', async (_name, returnTo) => {
    const browser = new TestBrowser();
    const hop = await browser.get(loginUrl(returnTo));
    expectPage(hop, 400, 'return-to-not-allowed');
    expect(hop.location).toBeNull();
    expect(hop.setCookies).toEqual([]);
    expect(await sessionItems()).toHaveLength(0);
  });

  it('refuses a repeated returnTo (API Gateway joins them) and a bad consentVersion', async () => {
    const browser = new TestBrowser();
    expectPage(
      await browser.get(
        `${api}/auth/line/login?returnTo=${encodeURIComponent(APP)}&returnTo=${encodeURIComponent(APP)}`,
      ),
      400,
      'return-to-not-allowed',
    );
    expectPage(await browser.get(`${loginUrl()}&consentVersion=%3Cscript%3E`), 400, 'invalid-request');
    expect(await sessionItems()).toHaveLength(0);
  });
});

// ------------------------------------------------------------------ LINE callback refusals

describe('GET /auth/line/callback refusals (nothing is linked)', () => {
  afterEach(async () => {
    expect(await linkCount()).toBe(0);
    await unlinkAll();
  });

  it('shows a friendly retry page for a missing state, restarting with disable_auto_login=true', async () => {
    const browser = new TestBrowser();
    const callback = await lineCallbackUrl(browser);
    const tokenCalls = stack.line.stats.token;
    const hop = await browser.get(withParam(callback, 'state', null));
    expectPage(hop, 400, 'login-state-missing');
    expect(hop.body).toContain('Sign in again');
    const retry = new URL(linksOf(hop)[0]!);
    expect(`${retry.origin}${retry.pathname}`).toBe(`${api}/auth/line/login`);
    expect(retry.searchParams.get('disable_auto_login')).toBe('true');
    expect(stack.line.stats.token).toBe(tokenCalls);
    expect(await sessionItems()).toHaveLength(1); // the real session is untouched
  });

  it('refuses an unknown state', async () => {
    const browser = new TestBrowser();
    const callback = await lineCallbackUrl(browser);
    const tokenCalls = stack.line.stats.token;
    expectPage(await browser.get(withParam(callback, 'state', 'f'.repeat(48))), 400, 'login-state-unknown');
    expectPage(await browser.get(withParam(callback, 'state', 'not-ours')), 400, 'login-state-unknown');
    expect(stack.line.stats.token).toBe(tokenCalls);
    await browser.get(callback); // clean up: the real one still works
  });

  it('consumes a state exactly once: a replay is refused and redeems nothing', async () => {
    const browser = new TestBrowser();
    const callback = await lineCallbackUrl(browser);
    const firstCookie = browser.cookieHeader(new URL(callback));
    expect((await browser.get(callback)).status).toBe(302);
    const tokenCalls = stack.line.stats.token;
    // Replayed with the cookie the state was bound to.
    const replay = await fetch(callback, { redirect: 'manual', headers: { cookie: firstCookie } });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('login-state-unknown');
    expect(stack.line.stats.token).toBe(tokenCalls);
  });

  it('refuses concurrent callbacks with one state but one', async () => {
    const browser = new TestBrowser();
    const callback = await lineCallbackUrl(browser);
    const cookie = browser.cookieHeader(new URL(callback));
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(callback, { redirect: 'manual', headers: { cookie } }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 302)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(4);
  });

  it('refuses an expired state and keeps it out of use', async () => {
    const browser = new TestBrowser();
    const callback = await lineCallbackUrl(browser);
    const state = new URL(callback).searchParams.get('state')!;
    await stack.dynamo.send(
      new UpdateItemCommand({
        TableName: stack.tables.sessions,
        Key: { pk: { S: `LOGIN#line#${state}` } },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': { N: String(Math.floor(Date.now() / 1000) - 1) } },
      }),
    );
    const tokenCalls = stack.line.stats.token;
    expectPage(await browser.get(callback), 400, 'login-state-expired');
    expect(stack.line.stats.token).toBe(tokenCalls);
  });

  it("refuses another browser's state (login CSRF) without consuming it", async () => {
    const attacker = new TestBrowser();
    const victim = new TestBrowser();
    await start(victim); // the victim has a binding cookie of its own
    const attackersCallback = await lineCallbackUrl(attacker, SUZUKI);
    const tokenCalls = stack.line.stats.token;
    expectPage(await victim.get(attackersCallback), 400, 'login-state-not-bound');
    expectPage(await new TestBrowser().get(attackersCallback), 400, 'login-state-not-bound'); // no cookie at all
    expect(stack.line.stats.token).toBe(tokenCalls);
    // Not consumed: it still belongs to the browser that started it.
    expect((await attacker.get(attackersCallback)).status).toBe(302);
  });

  it("refuses a code from one session with another session's state", async () => {
    const browser = new TestBrowser();
    const firstCallback = await lineCallbackUrl(browser);
    const secondCallback = await lineCallbackUrl(browser); // the same browser starts again
    const mixed = withParam(secondCallback, 'code', new URL(firstCallback).searchParams.get('code'));
    const hop = await browser.get(mixed);
    expectPage(hop, 400, 'line-code-rejected');
    expect(linksOf(hop)).toContain(`${APP}?result=error`);
  });

  it('refuses an ID token whose nonce is not the one stored with the session', async () => {
    const browser = new TestBrowser();
    const authorize = await start(browser);
    // A code obtained for another nonce (e.g. an attacker's authorization request).
    const callback = await decide(withParam(authorize, 'nonce', 'attacker-nonce'), SATO);
    expectPage(await browser.get(callback), 400, 'invalid-line-token');

    stack.line.setTokenFault('wrong-nonce');
    const other = new TestBrowser();
    expectPage(await other.get(await lineCallbackUrl(other)), 400, 'invalid-line-token');
  });

  it('refuses an HS256 ID token signed with another secret', async () => {
    stack.line.setTokenFault('wrong-secret');
    const browser = new TestBrowser();
    expectPage(await browser.get(await lineCallbackUrl(browser)), 400, 'invalid-line-token');
    expect(await sessionItems()).toHaveLength(0);
  });

  it('shows the cancel page on error=access_denied: state consumed, no token call', async () => {
    const browser = new TestBrowser();
    const callback = await decide(await start(browser), SATO, 'cancel');
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const tokenCalls = stack.line.stats.token;
    const hop = await browser.get(callback);
    expectPage(hop, 200, 'login-cancelled');
    expect(linksOf(hop)).toEqual([
      `${APP}?result=cancelled`,
      `${api}/auth/line/login?returnTo=${encodeURIComponent(APP)}&disable_auto_login=true`,
    ]);
    expect(stack.line.stats.token).toBe(tokenCalls);
    expect(await sessionItems()).toHaveLength(0);
    expect(browser.cookie(COOKIE)).toBeUndefined();
    // The consumed state cannot be replayed.
    expectPage(await browser.get(callback), 400, 'login-state-unknown');
  });

  it('escapes what it shows and echoes nothing from the query', async () => {
    const browser = new TestBrowser();
    const callback = await decide(await start(browser), SATO, 'cancel');
    const hostile = withParam(
      withParam(callback, 'error', '<script>alert(1)</script>'),
      'error_description',
      '"><img src=x>',
    );
    const hop = await browser.get(hostile);
    expectPage(hop, 400, 'line-authorization-failed');
    expect(hop.body).not.toContain('<script>');
    expect(hop.body).not.toContain('<img');
  });

  it.each([
    ['500', () => stack.line.setOutage('token', 'error500'), 503, 'line-unavailable'],
    ['non-JSON', () => stack.line.setOutage('token', 'garbage'), 502, 'line-bad-response'],
    ['no id_token', () => stack.line.setTokenFault('no-id-token'), 502, 'line-bad-response'],
    ['too slowly', () => stack.line.setOutage('token', 'slow'), 503, 'line-unavailable'],
    ['by dropping the connection', () => stack.line.setOutage('token', 'down'), 503, 'line-unavailable'],
  ])(
    'shows an error page, not a 500, when the token endpoint answers %s',
    async (_name, fault, status, code) => {
      const browser = new TestBrowser();
      const callback = await lineCallbackUrl(browser);
      fault();
      const hop = await browser.get(callback);
      expectPage(hop, status, code);
      expect(linksOf(hop)).toContain(`${APP}?result=error`);
      expect(await sessionItems()).toHaveLength(0);
    },
  );

  it('never consumes a state or redeems a code on HEAD (routed per method, like API Gateway)', async () => {
    const browser = new TestBrowser();
    const callback = await lineCallbackUrl(browser);
    const tokenCalls = stack.line.stats.token;
    const head = await browser.request(callback, { method: 'HEAD' });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET');
    expect(stack.line.stats.token).toBe(tokenCalls);
    expect(await sessionItems()).toHaveLength(1);
    expect((await browser.get(callback)).status).toBe(302); // still usable
    await unlinkAll();
  });

  it('recovers a state lost to an auto-login browser bounce with a retry that disables auto-login', async () => {
    stack.line.setAutoLogin(SATO);
    const original = new TestBrowser();
    const authorize = await start(original);
    // LINE logs in automatically and returns in another browser (e.g. LINE's in-app browser).
    const bounce = await openAuthorize(authorize);
    expect(bounce.status).toBe(302);
    const elsewhere = new TestBrowser();
    const lost = await elsewhere.get(bounce.location!);
    expectPage(lost, 400, 'login-state-not-bound');
    const retry = linksOf(lost)[0]!;
    const restart = await elsewhere.get(retry);
    expect(new URL(restart.location!).searchParams.get('disable_auto_login')).toBe('true');
    expect((await openAuthorize(restart.location!)).status).toBe(200); // the consent page, not another bounce
    const companyLeg = await elsewhere.get(await decide(restart.location!, SATO));
    const final = await elsewhere.get(await decide(companyLeg.location!, HANAKO));
    expect(final.location).toBe(`${APP}?result=linked`);
    await unlinkAll();
  });
});

// ------------------------------------------------------------------ company callback refusals

describe('GET /auth/company/callback refusals', () => {
  afterEach(unlinkAll);

  it('ends with result=cancelled on access_denied, without a token call', async () => {
    const browser = new TestBrowser();
    const companyAuthorize = await throughLine(browser);
    const tokenCalls = stack.company.stats.token;
    const hop = await browser.get(await decide(companyAuthorize, HANAKO, 'cancel'));
    expect(hop.location).toBe(`${APP}?result=cancelled`);
    expect(stack.company.stats.token).toBe(tokenCalls);
    expect(await linkCount()).toBe(0);
  });

  it.each([
    ['a 500', () => stack.company.setOutage('token', 'error500')],
    ['non-JSON', () => stack.company.setOutage('token', 'garbage')],
    ['no id_token', () => stack.company.setTokenFault('no-id-token')],
    ['an ID token with another nonce', () => stack.company.setTokenFault('wrong-nonce')],
    ['too slowly', () => stack.company.setOutage('token', 'slow')],
  ])('ends with result=error and links nothing when the token endpoint answers %s', async (_name, fault) => {
    const browser = new TestBrowser();
    const callback = await decide(await throughLine(browser), HANAKO);
    fault();
    const hop = await browser.get(callback);
    expect(hop.status).toBe(302);
    expect(hop.location).toBe(`${APP}?result=error`);
    expect(await linkCount()).toBe(0);
  });

  it("refuses a replay, another browser's state, a LINE state and a company code with another session's state", async () => {
    const owner = new TestBrowser();
    const callback = await decide(await throughLine(owner), HANAKO);
    expectPage(await new TestBrowser().get(callback), 400, 'login-state-not-bound');
    const lineCallback = await lineCallbackUrl(new TestBrowser());
    const lineState = new URL(lineCallback).searchParams.get('state')!;
    expectPage(await owner.get(withParam(callback, 'state', lineState)), 400, 'login-state-unknown');
    expect((await owner.get(callback)).location).toBe(`${APP}?result=linked`);
    expectPage(await owner.get(callback), 400, 'login-state-unknown');
    await unlinkAll();

    // A company code issued for one session, presented with another session's state.
    const browser = new TestBrowser();
    const firstCallback = await decide(await throughLine(browser), HANAKO);
    const secondCallback = await decide(await throughLine(browser), HANAKO);
    const mixed = withParam(secondCallback, 'code', new URL(firstCallback).searchParams.get('code'));
    expect((await browser.get(mixed)).location).toBe(`${APP}?result=error`);
    expect(await linkCount()).toBe(0);
  });

  it('never runs on HEAD', async () => {
    const browser = new TestBrowser();
    const callback = await decide(await throughLine(browser), HANAKO);
    const tokenCalls = stack.company.stats.token;
    expect((await browser.request(callback, { method: 'HEAD' })).status).toBe(405);
    expect(stack.company.stats.token).toBe(tokenCalls);
    expect((await browser.get(callback)).location).toBe(`${APP}?result=linked`);
  });
});

// ------------------------------------------------------------------ POST /auth/company/start

describe('POST /auth/company/start', () => {
  afterEach(unlinkAll);

  async function post(browser: TestBrowser, token: string | null, body?: unknown) {
    return browser.request(`${api}/auth/company/start`, {
      method: 'POST',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  it('opens the company leg for the LINE user of the bearer token and links at the callback', async () => {
    const browser = new TestBrowser();
    const token = await stack.line.mintIdToken({ userId: SUZUKI });
    const hop = await post(browser, token, { returnTo: SECOND_APP });
    expect(hop.status).toBe(200);
    expect(hop.headers.get('content-type')).toBe('application/json');
    const { authorizeUrl } = JSON.parse(hop.body) as { authorizeUrl: string };
    expect(authorizeUrl.startsWith(`${stack.company.url}/authorize?`)).toBe(true);
    expect(browser.cookie(COOKIE)?.attributes).toEqual(
      expect.arrayContaining(['httponly', 'samesite=lax', 'path=/auth']),
    );
    const final = await browser.get(await decide(authorizeUrl, ICHIRO));
    expect(final.location).toBe(`${SECOND_APP}?result=linked`);
    const links = await stack.scan('links');
    expect(links.find((l) => (l.pk as { S: string }).S === `LINE#${SUZUKI}`)?.companyUserId).toEqual({
      S: ICHIRO,
    });
  });

  it('accepts a LINE access token and no body (default returnTo)', async () => {
    const browser = new TestBrowser();
    const token = await stack.line.mintAccessToken({ userId: SATO });
    const hop = await post(browser, token);
    expect(hop.status).toBe(200);
    const { authorizeUrl } = JSON.parse(hop.body) as { authorizeUrl: string };
    expect((await browser.get(await decide(authorizeUrl, HANAKO))).location).toBe(`${APP}?result=linked`);
  });

  it('refuses a missing or invalid token and a foreign returnTo with problem+json, storing nothing', async () => {
    const browser = new TestBrowser();
    const missing = await post(browser, null, {});
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'missing-line-token' });
    const invalid = await post(browser, 'not-a-token', {});
    expect(invalid.status).toBe(401);
    expect(JSON.parse(invalid.body)).toMatchObject({ code: 'invalid-line-token' });
    const token = await stack.line.mintIdToken({ userId: SATO });
    const foreign = await post(browser, token, { returnTo: 'https://evil.example/' });
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.parse(foreign.body)).toMatchObject({ code: 'return-to-not-allowed' });
    expect(browser.cookie(COOKIE)).toBeUndefined();
    expect(await sessionItems()).toHaveLength(0);
  });
});
