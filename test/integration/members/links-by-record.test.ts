import {
  DEFAULT_COMPANY_MEMBERS,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { recordFriendship } from '../../support/friendship.js';
import { call, type ApiResponse } from '../../support/http.js';
import { importSample, n, s, TEST_PEPPER } from '../../support/member-data.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ MEMBER_HASH_PEPPER: TEST_PEPPER, MEMBER_FACTORS: 'birthDate,postalCode' });
  expect(await importSample(stack.tables.members)).toMatchObject({ read: 6, written: 6, rejected: 0 });
}, 60_000);
afterAll(() => stack.close());

const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!;
const ICHIRO = DEFAULT_COMPANY_MEMBERS[1]!;
const YUI = DEFAULT_COMPANY_MEMBERS[2]!;
const KENTA = DEFAULT_COMPANY_MEMBERS[3]!;
const MISAKI = DEFAULT_COMPANY_MEMBERS[4]!;
const SHO = DEFAULT_COMPANY_MEMBERS[5]!;
const right = (m: { birthDate: string; postalCode: string }) => ({
  birthDate: m.birthDate,
  postalCode: m.postalCode,
});
const wrong = (m: { birthDate: string; postalCode: string }) => ({
  birthDate: '1901-01-01',
  postalCode: m.postalCode,
});

let seq = 0;
async function lineToken(label = 'by-record') {
  const userId = testLineUserId(`${label}-${++seq}-${Date.now()}`);
  return { userId, token: await stack.line.mintIdToken({ userId }) };
}
const post = (token: string, json: unknown) =>
  call(stack.api.url, 'POST', '/links/by-record', { token, json });

async function linkItems() {
  return stack.scan('links');
}
async function memberCounter(memberId: string) {
  const item = (await stack.scan('attempts')).find((i) => s(i, 'pk') === `MEMBER#${memberId}`);
  return item ? n(item, 'count') : undefined;
}

/** Failures counted service-wide, over every shard. */
async function globalFailures() {
  return (await stack.scan('attempts'))
    .filter((i) => s(i, 'pk')?.startsWith('GLOBAL#'))
    .reduce((sum, i) => sum + (n(i, 'count') ?? 0), 0);
}

describe('POST /links/by-record (pattern 3)', () => {
  test('links a member whose typed data matches the imported record, in any accepted format', async () => {
    const { userId, token } = await lineToken();
    const created = await post(token, {
      memberId: 'Ｍ－１０００01',
      factors: { birthDate: '１９９０/4/12', postalCode: '〒100-0001' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      lineUserId: userId,
      companyUserId: HANAKO.memberId,
      method: 'record',
    });
    const again = await post(token, {
      memberId: HANAKO.memberId,
      factors: { birthDate: '19900412', postalCode: '1000001' },
    });
    expect(again.status).toBe(200);
    const me = await call(stack.api.url, 'GET', '/links/me', { token });
    expect(me.body).toEqual(created.body);
  });

  test('the members table holds keyed hashes only', async () => {
    const items = await stack.scan('members');
    expect(items).toHaveLength(6);
    const text = JSON.stringify(items);
    for (const m of DEFAULT_COMPANY_MEMBERS) {
      for (const v of [m.birthDate, m.birthDate.replace(/-/g, ''), m.postalCode, m.phone, m.name])
        expect(text).not.toContain(v);
    }
    expect(text).not.toContain(TEST_PEPPER);
  });

  test('an unknown member and a wrong factor get byte-identical answers after the same minimum time', async () => {
    const before = (await linkItems()).length;
    const timed = async (memberId: string, factors: Record<string, string>) => {
      const { token } = await lineToken();
      const started = Date.now();
      const response = await post(token, { memberId, factors });
      return { response, ms: Date.now() - started };
    };
    const unknown = await timed('M-999999', right(ICHIRO));
    const wrongFactor = await timed(ICHIRO.memberId, wrong(ICHIRO));
    const noSuchCombination = await timed(ICHIRO.memberId, right(YUI));
    for (const { response, ms } of [unknown, wrongFactor, noSuchCombination]) {
      expect(response.status).toBe(422);
      expect(response.text).toBe(unknown.response.text);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('retry-after')).toBeNull();
      expect(ms).toBeGreaterThanOrEqual(290);
    }
    expect(unknown.response.body).toMatchObject({ status: 422, code: 'verification-failed' });
    expect((await linkItems()).length).toBe(before);
  });

  test('50 parallel wrong guesses are counted exactly and the lock holds, even for the right data', async () => {
    const globalBefore = await globalFailures();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => lineToken('guesser')));
    const responses = await Promise.all(
      tokens.map(({ token }) => post(token, { memberId: KENTA.memberId, factors: wrong(KENTA) })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((st) => st === 422)).toHaveLength(4);
    expect(statuses.filter((st) => st === 429)).toHaveLength(46);
    expect(await memberCounter(KENTA.memberId)).toBe(50);
    expect((await globalFailures()) - globalBefore).toBe(5); // refusals are not failures

    const { token, userId } = await lineToken();
    const locked = await post(token, { memberId: KENTA.memberId, factors: right(KENTA) });
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ code: 'too-many-attempts', status: 429 });
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(
      (await linkItems()).filter(
        (i) => s(i, 'companyUserId') === KENTA.memberId || s(i, 'lineUserId') === userId,
      ),
    ).toEqual([]);
    const lockouts = (await stack.scan('audit')).filter((i) => s(i, 'type') === 'lockout');
    expect(lockouts.map((i) => s(i, 'companyUserId'))).toContain(KENTA.memberId);
  });

  test('an unknown member locks out exactly like a real one (same bodies, same Retry-After)', async () => {
    const run = async (memberId: string) => {
      const out: ApiResponse[] = [];
      for (let i = 0; i < 6; i++)
        out.push(await post((await lineToken()).token, { memberId, factors: wrong(MISAKI) }));
      return out;
    };
    const [real, ghost] = await Promise.all([run(MISAKI.memberId), run('M-000404')]);
    expect(real.map((r) => r.status)).toEqual([422, 422, 422, 422, 429, 429]);
    expect(ghost.map((r) => r.text)).toEqual(real.map((r) => r.text));
    const after = (r: ApiResponse) => Number(r.headers.get('retry-after'));
    expect(Math.abs(after(ghost[5]!) - after(real[5]!))).toBeLessThanOrEqual(2);
  });

  test('one LINE user trying many members is locked after 10 attempts', async () => {
    const { token } = await lineToken();
    const statuses = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await post(token, { memberId: `M-7000${i}`, factors: right(SHO) })).status);
    expect(statuses).toEqual([422, 422, 422, 422, 422, 422, 422, 422, 422, 429, 429]);
    expect((await post(token, { memberId: SHO.memberId, factors: right(SHO) })).status).toBe(429);
  });

  test('a success resets the member’s counter', async () => {
    const { token } = await lineToken();
    for (let i = 0; i < 3; i++)
      expect((await post(token, { memberId: YUI.memberId, factors: wrong(YUI) })).status).toBe(422);
    expect(await memberCounter(YUI.memberId)).toBe(3);
    expect((await post(token, { memberId: YUI.memberId, factors: right(YUI) })).status).toBe(201);
    expect(await memberCounter(YUI.memberId)).toBeUndefined();
  });

  test('malformed input is a 400 naming the field, counted nowhere, writing nothing', async () => {
    const before = { links: (await linkItems()).length, attempts: (await stack.scan('attempts')).length };
    const { token } = await lineToken();
    const bad = await post(token, {
      memberId: ICHIRO.memberId,
      factors: { birthDate: '1985-02-30', postalCode: ICHIRO.postalCode },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'invalid-request', errors: [{ path: 'factors.birthDate' }] });
    expect(bad.text).not.toContain('1985-02-30');
    const missing = await post(token, {
      memberId: ICHIRO.memberId,
      factors: { birthDate: ICHIRO.birthDate },
    });
    expect(missing.body).toMatchObject({
      errors: [{ path: 'factors.postalCode', message: 'postalCode is required' }],
    });
    expect((await post(token, { memberId: ICHIRO.memberId })).status).toBe(400);
    expect((await post('not-a-token', { memberId: ICHIRO.memberId, factors: right(ICHIRO) })).status).toBe(
      401,
    );
    // Without a LINE token the body is not judged at all.
    const anonymous = await call(stack.api.url, 'POST', '/links/by-record', { json: { memberId: 42 } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ code: 'missing-line-token' });
    expect((await linkItems()).length).toBe(before.links);
    expect((await stack.scan('attempts')).length).toBe(before.attempts);
  });

  test('a member already linked to another LINE user is a 409 after verification', async () => {
    const first = await lineToken();
    const second = await lineToken();
    expect((await post(first.token, { memberId: SHO.memberId, factors: right(SHO) })).status).toBe(201);
    const conflict = await post(second.token, { memberId: SHO.memberId, factors: right(SHO) });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ code: 'company-user-already-linked' });
  });

  test('a new link takes over the friendship the webhook recorded before it', async () => {
    const { userId, token } = await lineToken('friend');
    const followedAt = new Date(Date.now() - 60_000).toISOString();
    await recordFriendship(stack.tables, userId, true, followedAt); // as the webhook's follow does
    const created = await post(token, { memberId: ICHIRO.memberId, factors: right(ICHIRO) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ lineUserId: userId, friend: true, friendUpdatedAt: followedAt });
    const me = await call(stack.api.url, 'GET', '/links/me', { token });
    expect(me.body).toMatchObject({ friend: true, friendUpdatedAt: followedAt });
  });
});
