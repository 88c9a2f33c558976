import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DEFAULT_COMPANY_MEMBERS,
  DEFAULT_LINE_USERS,
} from '../../../functions/local/emulators/test-identities.js';
import { decide } from '../../support/oauth-browser.js';
import { startTestStack, TEST_CLIENT_PRIVATE_KEY, type TestStack } from '../../support/test-stack.js';
import { TestBrowser } from '../../support/web-browser.js';

/**
 * The company leg of the web flow with what enterprise IdPs ask for: `private_key_jwt` client
 * authentication (no client secret anywhere), `max_age` with `auth_time` checked, and the RFC 9207
 * `iss` of the authorization response. Real handlers, DynamoDB Local and both emulators.
 */

const APP = 'https://app.example.com/linked';
const SATO = DEFAULT_LINE_USERS[0]!.userId;
const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!.memberId;

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    APP_RETURN_URLS: APP,
    COMPANY_OIDC_TOKEN_AUTH_METHOD: 'private_key_jwt',
    COMPANY_OIDC_PRIVATE_KEY: TEST_CLIENT_PRIVATE_KEY,
    COMPANY_OIDC_CLIENT_SECRET: '',
    COMPANY_OIDC_MAX_AGE: '300',
  });
});

afterAll(async () => {
  await stack.close();
});

afterEach(() => {
  stack.company.setTokenFault(null);
});

/** Runs the LINE leg; returns the company authorize URL. */
async function throughLine(browser: TestBrowser): Promise<string> {
  const start = await browser.get(`${stack.api.url}/auth/line/login?returnTo=${encodeURIComponent(APP)}`);
  const hop = await browser.get(await decide(start.location!, SATO));
  expect(hop.status).toBe(302);
  return hop.location!;
}

const links = async () => (await stack.scan('links')).length;

function withParam(url: string, name: string, value: string | null): string {
  const u = new URL(url);
  if (value === null) u.searchParams.delete(name);
  else u.searchParams.set(name, value);
  return u.href;
}

describe('company leg with private_key_jwt, max_age and iss', () => {
  it('links, authenticating with a signed client assertion and asking for a sign-in at most 300 s old', async () => {
    const browser = new TestBrowser();
    const authorize = await throughLine(browser);
    expect(new URL(authorize).searchParams.get('max_age')).toBe('300');
    const callback = await decide(authorize, HANAKO);
    expect(new URL(callback).searchParams.get('iss')).toBe(stack.company.issuer);
    const final = await browser.get(callback);
    expect(final.location).toBe(`${APP}?result=linked`);
    expect(await links()).toBe(2);
    for (const item of await stack.scan('links')) await stack.dynamo.send(deleteItem(item));
  });

  it('refuses a sign-in older than max_age (auth_time) and links nothing', async () => {
    const browser = new TestBrowser();
    const callback = await decide(await throughLine(browser), HANAKO);
    stack.company.setTokenFault('stale-auth-time');
    expect((await browser.get(callback)).location).toBe(`${APP}?result=error`);
    expect(await links()).toBe(0);
  });

  it('refuses an authorization response with another iss, or none, before any token call (RFC 9207)', async () => {
    for (const iss of ['https://attacker.example', null]) {
      const browser = new TestBrowser();
      const callback = await decide(await throughLine(browser), HANAKO);
      const tokenCalls = stack.company.stats.token;
      expect((await browser.get(withParam(callback, 'iss', iss))).location).toBe(`${APP}?result=error`);
      expect(stack.company.stats.token).toBe(tokenCalls);
      expect(await links()).toBe(0);
    }
  });
});

function deleteItem(item: Record<string, unknown>) {
  return new DeleteItemCommand({ TableName: stack.tables.links, Key: { pk: item.pk as { S: string } } });
}
