import {
  DEFAULT_COMPANY_MEMBERS,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { recordFriendship } from '../../support/friendship.js';
import { call } from '../../support/http.js';
import { s } from '../../support/member-data.js';
import { startTestStack, TEST_CLIENT, type TestStack } from '../../support/test-stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ MEMBER_FACTORS: 'birthDate,postalCode' });
  // The handler is loaded on the first request, so the emulator's URL can still be set here.
  stack.configure({
    COMPANY_API_URL: `${stack.company.url}/api/members/verify`,
    COMPANY_API_AUTH: 'oauth',
    COMPANY_API_TOKEN_URL: `${stack.company.url}/token`,
    COMPANY_API_CLIENT_ID: TEST_CLIENT.clientId,
    COMPANY_API_CLIENT_SECRET: TEST_CLIENT.clientSecret,
  });
}, 60_000);
afterAll(() => stack.close());
afterEach(() => stack.company.setOutage('all', null));

const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!;
const ICHIRO = DEFAULT_COMPANY_MEMBERS[1]!;
const YUI = DEFAULT_COMPANY_MEMBERS[2]!;
const KENTA = DEFAULT_COMPANY_MEMBERS[3]!;
const right = (m: { birthDate: string; postalCode: string }) => ({
  birthDate: m.birthDate,
  postalCode: m.postalCode,
});
const wrong = (m: { birthDate: string; postalCode: string }) => ({
  birthDate: '1901-01-01',
  postalCode: m.postalCode,
});

let seq = 0;
async function lineToken() {
  const userId = testLineUserId(`by-api-${++seq}-${Date.now()}`);
  return { userId, token: await stack.line.mintIdToken({ userId }) };
}
const post = (token: string, json: unknown) => call(stack.api.url, 'POST', '/links/by-api', { token, json });
const linkCount = async () => (await stack.scan('links')).length;
/** Attempts counted against a member in its current window (0 when there is no counter). */
const memberCounter = async (memberId: string) =>
  Number(
    (
      (await stack.scan('attempts')).find((i) => s(i, 'pk') === `MEMBER#${memberId}`)?.count as
        { N: string } | undefined
    )?.N ?? 0,
  );

describe('POST /links/by-api (pattern 2)', () => {
  test('links when the company API verifies; one client-credentials token serves many calls', async () => {
    const tokenCalls = stack.company.stats.token;
    const { userId, token } = await lineToken();
    const created = await post(token, {
      memberId: HANAKO.memberId,
      factors: { birthDate: '1990/4/12', postalCode: '１００－０００１' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ lineUserId: userId, companyUserId: HANAKO.memberId, method: 'api' });
    expect((await post(token, { memberId: HANAKO.memberId, factors: right(HANAKO) })).status).toBe(200);
    const other = await lineToken();
    expect((await post(other.token, { memberId: ICHIRO.memberId, factors: wrong(ICHIRO) })).status).toBe(422);
    expect(stack.company.stats.token).toBe(tokenCalls + 1);
  });

  test('a new link takes over the friendship the webhook recorded before it', async () => {
    const { userId, token } = await lineToken();
    const followedAt = new Date(Date.now() - 60_000).toISOString();
    await recordFriendship(stack.tables, userId, true, followedAt); // as the webhook's follow does
    const created = await post(token, { memberId: ICHIRO.memberId, factors: right(ICHIRO) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      lineUserId: userId,
      method: 'api',
      friend: true,
      friendUpdatedAt: followedAt,
    });
  });

  test('unknown member and wrong factor: identical 422', async () => {
    const before = await linkCount();
    const a = await post((await lineToken()).token, { memberId: 'M-999999', factors: right(YUI) });
    const b = await post((await lineToken()).token, { memberId: YUI.memberId, factors: wrong(YUI) });
    expect(a.status).toBe(422);
    expect(b.text).toBe(a.text);
    expect(await linkCount()).toBe(before);
  });

  test('a revoked access token is renewed once, transparently', async () => {
    stack.company.revokeApiTokens();
    const tokenCalls = stack.company.stats.token;
    const { token } = await lineToken();
    expect((await post(token, { memberId: YUI.memberId, factors: right(YUI) })).status).toBe(201);
    expect(stack.company.stats.token).toBe(tokenCalls + 1);
  });

  test.each([
    ['slow', 503, 'company-api-unavailable'],
    ['down', 503, 'company-api-unavailable'],
    ['error500', 503, 'company-api-unavailable'],
    ['garbage', 502, 'company-api-bad-response'],
  ] as const)(
    'company API %s → %i %s, one retry on 5xx/timeout, nothing linked or counted',
    async (mode, status, code) => {
      const before = {
        links: await linkCount(),
        calls: stack.company.stats.members,
        counter: await memberCounter(KENTA.memberId),
      };
      stack.company.setOutage('members', mode);
      const { token } = await lineToken();
      const started = Date.now();
      const response = await post(token, { memberId: KENTA.memberId, factors: right(KENTA) });
      const ms = Date.now() - started;
      expect(response.status).toBe(status);
      expect(response.body).toMatchObject({ code, status });
      expect(stack.company.stats.members - before.calls).toBe(mode === 'garbage' ? 1 : 2);
      if (mode === 'slow') {
        expect(ms).toBeGreaterThanOrEqual(2000); // two timeouts fitted into the 2 s deadline, answered at it
        expect(ms).toBeLessThan(4000);
      }
      expect(await linkCount()).toBe(before.links);
      expect(await memberCounter(KENTA.memberId)).toBe(before.counter); // given back
    },
    15_000,
  );

  test('token endpoint down → 503, nothing linked', async () => {
    stack.company.revokeApiTokens();
    stack.company.setOutage('token', 'error500');
    const before = await linkCount();
    const response = await post((await lineToken()).token, {
      memberId: KENTA.memberId,
      factors: right(KENTA),
    });
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ code: 'company-api-unavailable' });
    expect(await linkCount()).toBe(before);
  });

  test('guessing is limited as for records: 429 with Retry-After, the company API not called any more', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (await post((await lineToken()).token, { memberId: KENTA.memberId, factors: wrong(KENTA) })).status,
      );
    expect(statuses).toEqual([422, 422, 422, 422, 429]);
    const calls = stack.company.stats.members;
    const locked = await post((await lineToken()).token, { memberId: KENTA.memberId, factors: right(KENTA) });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(stack.company.stats.members).toBe(calls);
  });
});
