import { decodeJwt } from 'jose';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * `POST /links` takes a company ID token only while fresh (COMPANY_ID_TOKEN_MAX_AGE_SECONDS,
 * here 300 s so the suite also proves the setting is read) and from one LINE user: the token is
 * bound to the LINE user it links in the link's own transaction (`COMPANYTOKEN#…` in the sessions
 * table), another LINE user presenting it is refused, and the same user presenting it is a retry.
 * Time is controlled through the tokens' `iat` / `auth_time`, minted minutes in the past.
 */

const MAX_AGE = 300;
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ COMPANY_ID_TOKEN_MAX_AGE_SECONDS: String(MAX_AGE) });
});
afterAll(() => stack.close());

let seq = 0;
function fresh() {
  seq++;
  return {
    lineUserId: testLineUserId(`replay-${seq}-${Date.now()}`),
    memberId: `M-R${seq}-${Date.now()}`,
  };
}

const post = async (lineUserId: string, companyIdToken: string) =>
  call(stack.api.url, 'POST', '/links', {
    token: await stack.line.mintIdToken({ userId: lineUserId }),
    json: { companyIdToken },
  });
const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000);
const nowSec = () => Math.floor(Date.now() / 1000);

/** The link items (either side) of these users and members. */
async function linkItems(lineUserIds: string[], memberIds: string[]) {
  const keys = [...lineUserIds.map((u) => `LINE#${u}`), ...memberIds.map((m) => `COMPANY#${m}`)];
  return (await stack.scan('links')).filter((i) => keys.includes((i.pk as { S: string }).S));
}

/** The audit events naming one of these LINE users, by type. */
async function auditTypes(lineUserId: string): Promise<string[]> {
  return (await stack.scan('audit'))
    .filter((i) => (i.lineUserId as { S?: string } | undefined)?.S === lineUserId)
    .map((i) => (i.type as { S: string }).S)
    .sort();
}

/** The binding of a company token (`COMPANYTOKEN#…`), if recorded. */
async function binding(tokenId: string) {
  const item = (await stack.scan('sessions')).find(
    (i) => (i.pk as { S: string }).S === `COMPANYTOKEN#${tokenId}`,
  );
  return (
    item && {
      lineUserId: (item.lineUserId as { S: string }).S,
      expiresAt: Number((item.expiresAt as { N: string }).N),
    }
  );
}

const jtiOf = (token: string) => `jti:${String(decodeJwt(token).jti)}`;

describe('a stale company sign-in: 401 invalid-company-token, nothing written', () => {
  it.each([
    ['an iat older than the setting (no auth_time)', () => ({ issuedAt: secondsAgo(MAX_AGE + 60) })],
    [
      'an auth_time older than the setting (a token just issued from an old session)',
      () => ({ authTime: nowSec() - (MAX_AGE + 60) }),
    ],
  ])('%s', async (_, claims) => {
    const { lineUserId, memberId } = fresh();
    const companyIdToken = await stack.company.mintIdToken({ sub: memberId, ...claims() });
    const response = await post(lineUserId, companyIdToken);
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'invalid-company-token' });
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await linkItems([lineUserId], [memberId])).toEqual([]);
    expect(await binding(jtiOf(companyIdToken))).toBeUndefined();
    expect(await auditTypes(lineUserId)).toEqual([]);
  });

  it('an auth_time within the setting links, however old the iat (auth_time comes first)', async () => {
    const { lineUserId, memberId } = fresh();
    const companyIdToken = await stack.company.mintIdToken({
      sub: memberId,
      issuedAt: secondsAgo(MAX_AGE + 60),
      authTime: nowSec() - (MAX_AGE - 60),
    });
    expect((await post(lineUserId, companyIdToken)).status).toBe(201);
  });
});

describe('one company token, one LINE user', () => {
  it('binds the token to the LINE user it links, until it expires', async () => {
    const { lineUserId, memberId } = fresh();
    const companyIdToken = await stack.company.mintIdToken({ sub: memberId });
    expect((await post(lineUserId, companyIdToken)).status).toBe(201);
    expect(await binding(jtiOf(companyIdToken))).toEqual({
      lineUserId,
      expiresAt: (decodeJwt(companyIdToken).exp as number) + 5,
    });
  });

  it('another LINE user presenting it: 401 company-token-replayed, nothing written, even once the link is gone', async () => {
    const a = fresh();
    const b = fresh();
    const companyIdToken = await stack.company.mintIdToken({ sub: a.memberId });
    expect((await post(a.lineUserId, companyIdToken)).status).toBe(201);

    const replayed = await post(b.lineUserId, companyIdToken);
    expect(replayed.status).toBe(401);
    expect(replayed.body).toMatchObject({ code: 'company-token-replayed', status: 401 });
    expect(replayed.headers.get('content-type')).toBe('application/problem+json');
    expect(await linkItems([b.lineUserId], [])).toEqual([]);
    expect(await auditTypes(b.lineUserId)).toEqual([]);
    expect(await binding(jtiOf(companyIdToken))).toMatchObject({ lineUserId: a.lineUserId });

    // Once A unlinks, the member is free, but not through A's token.
    const unlinked = await call(stack.api.url, 'DELETE', '/links/me', {
      token: await stack.line.mintIdToken({ userId: a.lineUserId }),
    });
    expect(unlinked.status).toBe(204);
    expect((await post(b.lineUserId, companyIdToken)).body).toMatchObject({ code: 'company-token-replayed' });
    expect(await linkItems([a.lineUserId, b.lineUserId], [a.memberId])).toEqual([]);
    expect(await auditTypes(b.lineUserId)).toEqual([]);
  });

  it('a token without jti is known by its hash: replayed from another LINE user, 401', async () => {
    const a = fresh();
    const b = fresh();
    const companyIdToken = await stack.company.mintIdToken({ sub: a.memberId, jti: null });
    expect((await post(a.lineUserId, companyIdToken)).status).toBe(201);
    expect((await post(b.lineUserId, companyIdToken)).body).toMatchObject({ code: 'company-token-replayed' });
    expect(await linkItems([b.lineUserId], [])).toEqual([]);
  });

  it('the same LINE user presenting it again is a retry: 200 with the same link', async () => {
    const { lineUserId, memberId } = fresh();
    const companyIdToken = await stack.company.mintIdToken({ sub: memberId });
    const created = await post(lineUserId, companyIdToken);
    expect(created.status).toBe(201);
    const retried = await post(lineUserId, companyIdToken);
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual(created.body);
    expect(await linkItems([lineUserId], [memberId])).toHaveLength(2);
  });

  it('20 identical concurrent requests: one 201, nineteen 200, one link and one link event', async () => {
    const { lineUserId, memberId } = fresh();
    const lineToken = await stack.line.mintIdToken({ userId: lineUserId });
    const companyIdToken = await stack.company.mintIdToken({ sub: memberId });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        call(stack.api.url, 'POST', '/links', { token: lineToken, json: { companyIdToken } }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    const linkedAt = new Set(responses.map((r) => (r.body as { linkedAt: string }).linkedAt));
    expect(linkedAt.size).toBe(1);
    expect(await linkItems([lineUserId], [memberId])).toHaveLength(2);
    expect((await auditTypes(lineUserId)).filter((t) => t === 'link')).toEqual(['link']);
    expect(await binding(jtiOf(companyIdToken))).toMatchObject({ lineUserId });
  });

  it('a first try that wrote nothing (409) leaves the token free: retried once the conflict is gone, 201', async () => {
    const { lineUserId, memberId } = fresh();
    const other = fresh().memberId;
    expect((await post(lineUserId, await stack.company.mintIdToken({ sub: other }))).status).toBe(201);

    const companyIdToken = await stack.company.mintIdToken({ sub: memberId });
    const conflict = await post(lineUserId, companyIdToken);
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ code: 'line-user-already-linked' });
    expect(await binding(jtiOf(companyIdToken))).toBeUndefined();

    const token = await stack.line.mintIdToken({ userId: lineUserId });
    expect((await call(stack.api.url, 'DELETE', '/links/me', { token })).status).toBe(204);
    const retried = await post(lineUserId, companyIdToken);
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ lineUserId, companyUserId: memberId });
    expect(await binding(jtiOf(companyIdToken))).toMatchObject({ lineUserId });
  });

  it('an idempotent relink binds the token too: from another LINE user it is then a replay', async () => {
    const a = fresh();
    const b = fresh();
    expect((await post(a.lineUserId, await stack.company.mintIdToken({ sub: a.memberId }))).status).toBe(201);
    const second = await stack.company.mintIdToken({ sub: a.memberId });
    expect((await post(a.lineUserId, second)).status).toBe(200);
    expect(await binding(jtiOf(second))).toMatchObject({ lineUserId: a.lineUserId });
    expect((await post(b.lineUserId, second)).body).toMatchObject({ code: 'company-token-replayed' });
  });
});
