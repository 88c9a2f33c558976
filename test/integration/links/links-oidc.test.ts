import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import {
  OTHER_CHANNEL,
  OTHER_CLIENT,
  startTestStack,
  TEST_CHANNEL,
  type TestStack,
} from '../../support/test-stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ CORS_ALLOWED_ORIGINS: 'https://liff.example.com' });
});
afterAll(() => stack.close());

let seq = 0;
/** A fresh LINE user and company member per test, so tests never see each other's links. */
function fresh() {
  seq++;
  return {
    lineUserId: testLineUserId(`links-oidc-${seq}-${Date.now()}`),
    memberId: `M-T${seq}-${Date.now()}`,
  };
}

const post = (token: string | undefined, json: unknown) =>
  call(stack.api.url, 'POST', '/links', { token, json });

async function linksFor(lineUserId: string, memberId: string) {
  const items = await stack.scan('links');
  return items.filter((i) => {
    const pk = (i.pk as { S: string }).S;
    return pk === `LINE#${lineUserId}` || pk === `COMPANY#${memberId}`;
  });
}

async function expectNothingWritten(lineUserId: string, memberId: string) {
  expect(await linksFor(lineUserId, memberId)).toEqual([]);
}

describe('POST /links (pattern 1, LIFF)', () => {
  it('links with a LIFF ID token: 201, then 200 for the same pair, readable via GET /links/me', async () => {
    const { lineUserId, memberId } = fresh();
    const lineToken = await stack.line.mintIdToken({ userId: lineUserId });
    const companyIdToken = await stack.company.mintIdToken({ sub: memberId });

    const created = await post(lineToken, { companyIdToken });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ lineUserId, companyUserId: memberId, method: 'oidc' });
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.headers.get('x-content-type-options')).toBe('nosniff');

    const again = await post(lineToken, { companyIdToken });
    expect(again.status).toBe(200);
    expect((again.body as { linkedAt: string }).linkedAt).toBe(
      (created.body as { linkedAt: string }).linkedAt,
    );

    const me = await call(stack.api.url, 'GET', '/links/me', { token: lineToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(created.body);
    expect(await linksFor(lineUserId, memberId)).toHaveLength(2);
  });

  it('links with a LINE access token (verify + profile) and an ES256 company token', async () => {
    const { lineUserId, memberId } = fresh();
    const lineToken = await stack.line.mintAccessToken({ userId: lineUserId });
    const companyIdToken = await stack.company.mintIdToken({ sub: memberId, alg: 'ES256' });
    const response = await post(lineToken, { companyIdToken });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ lineUserId, companyUserId: memberId });
  });

  it('ignores a lineUserId sent in the body: the token decides', async () => {
    const { lineUserId, memberId } = fresh();
    const victim = fresh().lineUserId;
    const response = await post(await stack.line.mintIdToken({ userId: lineUserId }), {
      companyIdToken: await stack.company.mintIdToken({ sub: memberId }),
      lineUserId: victim,
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ lineUserId });
    expect(await linksFor(victim, 'none')).toEqual([]);
  });

  it('answers 409 in both directions and changes nothing', async () => {
    const a = fresh();
    const b = fresh();
    const tokenA = await stack.line.mintIdToken({ userId: a.lineUserId });
    await post(tokenA, { companyIdToken: await stack.company.mintIdToken({ sub: a.memberId }) });

    const lineSide = await post(tokenA, {
      companyIdToken: await stack.company.mintIdToken({ sub: b.memberId }),
    });
    expect(lineSide.status).toBe(409);
    expect(lineSide.body).toMatchObject({ code: 'line-user-already-linked' });
    expect(lineSide.headers.get('content-type')).toBe('application/problem+json');

    const companySide = await post(await stack.line.mintIdToken({ userId: b.lineUserId }), {
      companyIdToken: await stack.company.mintIdToken({ sub: a.memberId }),
    });
    expect(companySide.status).toBe(409);
    expect(companySide.body).toMatchObject({ code: 'company-user-already-linked' });
    await expectNothingWritten(b.lineUserId, b.memberId);
    expect(await linksFor(a.lineUserId, a.memberId)).toHaveLength(2);
  });

  it('20 concurrent conflicting requests: exactly one succeeds and the table stays consistent', async () => {
    const { memberId } = fresh();
    const users = Array.from({ length: 20 }, () => fresh().lineUserId);
    // Each user signed in to the company on its own (one company token links one LINE user).
    const requests = await Promise.all(
      users.map(async (userId) => ({
        token: await stack.line.mintIdToken({ userId }),
        companyIdToken: await stack.company.mintIdToken({ sub: memberId }),
      })),
    );
    const responses = await Promise.all(
      requests.map(({ token, companyIdToken }) => post(token, { companyIdToken })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const winner = (responses.find((r) => r.status === 201)!.body as { lineUserId: string }).lineUserId;
    const items = (await stack.scan('links')).filter((i) =>
      [`COMPANY#${memberId}`, ...users.map((u) => `LINE#${u}`)].includes((i.pk as { S: string }).S),
    );
    expect(items).toHaveLength(2);
    for (const item of items) {
      expect(item.companyUserId).toEqual({ S: memberId });
      expect(item.lineUserId).toEqual({ S: winner });
    }
  });

  it('unlinks both sides (204), answers 204 again, and allows relinking to another member', async () => {
    const a = fresh();
    const other = fresh();
    const token = await stack.line.mintIdToken({ userId: a.lineUserId });
    await post(token, { companyIdToken: await stack.company.mintIdToken({ sub: a.memberId }) });
    const unlinked = await call(stack.api.url, 'DELETE', '/links/me', { token });
    expect(unlinked.status).toBe(204);
    expect(unlinked.text).toBe('');
    await expectNothingWritten(a.lineUserId, a.memberId);
    expect((await call(stack.api.url, 'DELETE', '/links/me', { token })).status).toBe(204);
    expect((await call(stack.api.url, 'GET', '/links/me', { token })).body).toMatchObject({
      code: 'not-linked',
    });

    const relinked = await post(token, {
      companyIdToken: await stack.company.mintIdToken({ sub: other.memberId }),
    });
    expect(relinked.status).toBe(201);
    expect(relinked.body).toMatchObject({ companyUserId: other.memberId });
  });
});

describe('POST /links refuses bad LINE tokens with 401 and writes nothing', () => {
  const cases: Array<[string, (t: { lineUserId: string }) => Promise<string>]> = [
    [
      'a forged signature',
      async ({ lineUserId }) => {
        const real = await stack.line.mintIdToken({ userId: lineUserId });
        const [h, p] = real.split('.');
        const { privateKey } = await generateKeyPair('ES256');
        const forged = await new SignJWT(JSON.parse(Buffer.from(p!, 'base64url').toString()))
          .setProtectedHeader(JSON.parse(Buffer.from(h!, 'base64url').toString()))
          .sign(privateKey);
        return forged;
      },
    ],
    [
      'alg none',
      async ({ lineUserId }) => {
        const now = Math.floor(Date.now() / 1000);
        const payload = {
          iss: stack.line.issuer,
          sub: lineUserId,
          aud: TEST_CHANNEL.channelId,
          iat: now,
          exp: now + 600,
        };
        return `${base64url.encode('{"alg":"none","typ":"JWT"}')}.${base64url.encode(JSON.stringify(payload))}.`;
      },
    ],
    [
      'an HS256 token signed with the channel secret on the ES256 path',
      async ({ lineUserId }) =>
        new SignJWT({ sub: lineUserId, aud: TEST_CHANNEL.channelId })
          .setIssuer(stack.line.issuer)
          .setIssuedAt()
          .setExpirationTime('10m')
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .sign(new TextEncoder().encode(TEST_CHANNEL.channelSecret)),
    ],
    [
      'a key that is not in the JWKS (embedded jwk header)',
      async ({ lineUserId }) => {
        const { privateKey, publicKey } = await generateKeyPair('ES256');
        return new SignJWT({ sub: lineUserId, aud: TEST_CHANNEL.channelId })
          .setIssuer(stack.line.issuer)
          .setIssuedAt()
          .setExpirationTime('10m')
          .setProtectedHeader({ alg: 'ES256', kid: 'not-in-jwks', jwk: await exportJWK(publicKey) })
          .sign(privateKey);
      },
    ],
    [
      'a wrong aud',
      async ({ lineUserId }) =>
        stack.line.mintIdToken({ userId: lineUserId, channelId: OTHER_CHANNEL.channelId }),
    ],
    [
      'a wrong iss',
      async ({ lineUserId }) => {
        const real = await stack.line.mintIdToken({ userId: lineUserId });
        return real.replace(/^[^.]+\.[^.]+/, (hp) => {
          const [h, p] = hp.split('.');
          const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
          return `${h}.${base64url.encode(JSON.stringify({ ...payload, iss: 'https://evil.example' }))}`;
        });
      },
    ],
    [
      'an expired token',
      async ({ lineUserId }) =>
        stack.line.mintIdToken({
          userId: lineUserId,
          issuedAt: new Date(Date.now() - 7_200_000),
          expiresInSec: 3600,
        }),
    ],
    [
      'a token without sub',
      async () => {
        const real = await stack.line.mintIdToken({ userId: testLineUserId('nosub') });
        const [h, p] = real.split('.');
        const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
        delete payload.sub;
        return `${h}.${base64url.encode(JSON.stringify(payload))}.${real.split('.')[2]}`;
      },
    ],
    [
      'an access token of another channel',
      async ({ lineUserId }) =>
        stack.line.mintAccessToken({ userId: lineUserId, channelId: OTHER_CHANNEL.channelId }),
    ],
    [
      'an access token with expires_in 0',
      async ({ lineUserId }) => stack.line.mintAccessToken({ userId: lineUserId, expiresInSec: 0 }),
    ],
    ['garbage', async () => 'not-a-token'],
  ];

  it.each(cases)('%s', async (_name, makeToken) => {
    const { lineUserId, memberId } = fresh();
    const response = await post(await makeToken({ lineUserId }), {
      companyIdToken: await stack.company.mintIdToken({ sub: memberId }),
    });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'invalid-line-token', status: 401 });
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await expectNothingWritten(lineUserId, memberId);
  });

  it('a missing Authorization header is 401 missing-line-token', async () => {
    const { memberId } = fresh();
    const response = await post(undefined, {
      companyIdToken: await stack.company.mintIdToken({ sub: memberId }),
    });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'missing-line-token' });
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="line-id-link"');
  });
});

describe('POST /links refuses bad company tokens with 401 and writes nothing', () => {
  const cases: Array<[string, (t: { lineUserId: string; memberId: string }) => Promise<string>]> = [
    [
      'a token for another client',
      async ({ memberId }) => stack.company.mintIdToken({ sub: memberId, clientId: OTHER_CLIENT.clientId }),
    ],
    [
      'a LINE token in the company slot',
      async ({ lineUserId }) => stack.line.mintIdToken({ userId: lineUserId }),
    ],
    [
      'a wrong issuer',
      async ({ memberId }) => stack.company.mintIdToken({ sub: memberId, issuer: 'https://evil.example' }),
    ],
    [
      'an expired token',
      async ({ memberId }) =>
        stack.company.mintIdToken({
          sub: memberId,
          issuedAt: new Date(Date.now() - 7_200_000),
          expiresInSec: 3600,
        }),
    ],
    [
      'several audiences without azp = our client',
      async ({ memberId }) =>
        stack.company.mintIdToken({ sub: memberId, extraAudiences: ['someone-else'], azp: 'someone-else' }),
    ],
    [
      'an HS256 token signed with the client secret',
      async ({ memberId }) =>
        new SignJWT({ sub: memberId, aud: 'line-id-link' })
          .setIssuer(stack.company.issuer)
          .setIssuedAt()
          .setExpirationTime('10m')
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode('company-client-secret')),
    ],
  ];

  it.each(cases)('%s', async (_name, makeToken) => {
    const ids = fresh();
    const response = await post(await stack.line.mintIdToken({ userId: ids.lineUserId }), {
      companyIdToken: await makeToken(ids),
    });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'invalid-company-token' });
    await expectNothingWritten(ids.lineUserId, ids.memberId);
  });
});

describe('malformed requests get a 4xx problem, never a 500, and write nothing', () => {
  const raw = async (init: {
    body?: string;
    headers?: Record<string, string>;
    method?: string;
    path?: string;
  }) => {
    const { lineUserId } = fresh();
    const token = await stack.line.mintIdToken({ userId: lineUserId });
    const response = await call(stack.api.url, init.method ?? 'POST', init.path ?? '/links', {
      token,
      body: init.body,
      headers: { 'content-type': 'application/json', ...init.headers },
    });
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await linksFor(lineUserId, 'none')).toEqual([]);
    return response;
  };

  it('malformed JSON → 400 malformed-json', async () => {
    const r = await raw({ body: '{"companyIdToken": ' });
    expect([r.status, (r.body as { code: string }).code]).toEqual([400, 'malformed-json']);
  });

  it.each([
    ['an array', '[]'],
    ['null', 'null'],
    ['a missing field', '{}'],
    ['a number token', '{"companyIdToken": 42}'],
    ['an empty token', '{"companyIdToken": ""}'],
  ])('%s → 400 invalid-request', async (_name, body) => {
    const r = await raw({ body });
    expect([r.status, (r.body as { code: string }).code]).toEqual([400, 'invalid-request']);
  });

  it('a wrong content type → 415', async () => {
    const r = await raw({
      body: 'companyIdToken=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([r.status, (r.body as { code: string }).code]).toEqual([415, 'unsupported-media-type']);
  });

  it('a body over 16 KB → 413', async () => {
    const r = await raw({ body: JSON.stringify({ companyIdToken: 'x'.repeat(17 * 1024) }) });
    expect([r.status, (r.body as { code: string }).code]).toEqual([413, 'payload-too-large']);
  });

  it('an unknown route → 404, a wrong method → 405 with Allow', async () => {
    const notFound = await raw({ path: '/nope', method: 'GET' });
    expect([notFound.status, (notFound.body as { code: string }).code]).toEqual([404, 'route-not-found']);
    const wrongMethod = await raw({ path: '/links', method: 'PUT', body: '{}' });
    expect([wrongMethod.status, (wrongMethod.body as { code: string }).code]).toEqual([
      405,
      'method-not-allowed',
    ]);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});

describe('CORS and health', () => {
  it('answers a preflight only for the exact allowed origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.api.url}/links`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const ok = await preflight('https://liff.example.com');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://liff.example.com');
    const evil = await preflight('https://liff.example.com.evil.test');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('GET /health is 200', async () => {
    const response = await call(stack.api.url, 'GET', '/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });
});
