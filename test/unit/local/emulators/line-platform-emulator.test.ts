import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
} from 'jose';
import {
  startLinePlatformEmulator,
  type LinePlatformEmulator,
} from '../../../../functions/local/emulators/line-platform-emulator.js';
import { DEFAULT_LINE_USERS } from '../../../../functions/local/emulators/test-identities.js';
import { ManualClock } from '../../../support/member-fakes.js';

const CHANNEL = { channelId: '1234567890', channelSecret: 'aaaabbbbccccddddeeeeffff00001111' };
const OTHER_CHANNEL = { channelId: '2000000001', channelSecret: '0123456789abcdef0123456789abcdef' };
const [SATO, SUZUKI, , TANAKA] = DEFAULT_LINE_USERS as [
  (typeof DEFAULT_LINE_USERS)[number],
  (typeof DEFAULT_LINE_USERS)[number],
  (typeof DEFAULT_LINE_USERS)[number],
  (typeof DEFAULT_LINE_USERS)[number],
];

let line: LinePlatformEmulator;

beforeAll(async () => {
  line = await startLinePlatformEmulator({ channels: [CHANNEL, OTHER_CHANNEL], slowMs: 50 });
});

afterAll(async () => {
  await line.close();
});

afterEach(() => {
  line.setOutage('all', null);
});

async function getJson<T = Record<string, unknown>>(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(`${line.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

function postVerify(params: Record<string, string>) {
  return getJson('/oauth2/v2.1/verify', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
}

async function fetchJwks(): Promise<JSONWebKeySet> {
  return (await getJson<JSONWebKeySet>('/oauth2/v2.1/certs')).body;
}

describe('test identities', () => {
  it('has four deterministic LINE-shaped users', () => {
    expect(DEFAULT_LINE_USERS).toHaveLength(4);
    for (const user of DEFAULT_LINE_USERS) expect(user.userId).toMatch(/^U[0-9a-f]{32}$/);
    expect(new Set(DEFAULT_LINE_USERS.map((u) => u.userId)).size).toBe(4);
    expect(SATO.displayName).toBe('Sato Hanako (test)');
    expect(line.users).toEqual(DEFAULT_LINE_USERS);
  });
});

describe('discovery and JWKS', () => {
  it('serves the OpenID configuration pointing at itself', async () => {
    const { status, body } = await getJson('/.well-known/openid-configuration');
    expect(status).toBe(200);
    expect(body).toEqual({
      issuer: line.issuer,
      authorization_endpoint: `${line.url}/oauth2/v2.1/authorize`,
      token_endpoint: `${line.url}/oauth2/v2.1/token`,
      jwks_uri: `${line.url}/oauth2/v2.1/certs`,
      response_types_supported: ['code'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
    });
    expect(line.issuer).toBe(line.url);
    expect(line.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves one public P-256 key with kid, alg and use', async () => {
    const jwks = await fetchJwks();
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
      kid: expect.stringMatching(/^[0-9a-f]{64}$/),
      alg: 'ES256',
      use: 'sig',
    });
    expect(key).not.toHaveProperty('d');
  });
});

describe('mintIdToken', () => {
  it('mints an ES256 ID token that verifies against the JWKS like a LIFF token', async () => {
    const token = await line.mintIdToken({ userId: SATO.userId, nonce: 'n-123' });
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'ES256',
      typ: 'JWT',
      kid: (await fetchJwks()).keys[0]!.kid,
    });
    const { payload } = await jwtVerify(token, createLocalJWKSet(await fetchJwks()), {
      issuer: line.issuer,
      audience: CHANNEL.channelId,
      algorithms: ['ES256'],
    });
    expect(payload).toEqual({
      iss: line.issuer,
      sub: SATO.userId,
      aud: CHANNEL.channelId,
      exp: payload.iat! + 3600,
      iat: expect.any(Number),
      nonce: 'n-123',
      amr: ['linesso'],
      name: SATO.displayName,
      picture: SATO.pictureUrl,
    });
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
  });

  it('honours channelId, issuedAt, expiresInSec and amr, and omits absent optional claims', async () => {
    const issuedAt = new Date('2030-01-01T00:00:00Z');
    const token = await line.mintIdToken({
      userId: TANAKA.userId,
      channelId: OTHER_CHANNEL.channelId,
      issuedAt,
      expiresInSec: 60,
      amr: ['pwd'],
    });
    const payload = decodeJwt(token);
    expect(payload.aud).toBe(OTHER_CHANNEL.channelId);
    expect(payload.iat).toBe(issuedAt.getTime() / 1000);
    expect(payload.exp).toBe(issuedAt.getTime() / 1000 + 60);
    expect(payload.amr).toEqual(['pwd']);
    expect(payload).not.toHaveProperty('nonce');
    expect(payload).not.toHaveProperty('picture'); // Tanaka has no picture
  });

  it('registers an unknown user so tests can use fresh LINE users', async () => {
    const userId = 'U' + 'f'.repeat(32);
    const token = await line.mintIdToken({ userId });
    expect(decodeJwt(token).sub).toBe(userId);
    expect(line.users.some((u) => u.userId === userId)).toBe(true);
  });
});

describe('GET /oauth2/v2.1/verify (access tokens)', () => {
  it('returns scope, client_id and the remaining lifetime', async () => {
    const token = await line.mintAccessToken({ userId: SATO.userId });
    const { status, body } = await getJson(`/oauth2/v2.1/verify?access_token=${encodeURIComponent(token)}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      scope: 'profile openid',
      client_id: CHANNEL.channelId,
      expires_in: expect.any(Number),
    });
    expect(body.expires_in).toBeGreaterThan(2_592_000 - 5);
    expect(body.expires_in).toBeLessThanOrEqual(2_592_000);
  });

  it('mints JWT-looking HS256 tokens without iss', async () => {
    const token = await line.mintAccessToken({ userId: SATO.userId });
    expect(token.split('.')).toHaveLength(3);
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    expect(decodeJwt(token)).not.toHaveProperty('iss');
  });

  it("reports another channel's token with that channel's client_id", async () => {
    const token = await line.mintAccessToken({
      userId: SATO.userId,
      channelId: OTHER_CHANNEL.channelId,
      scope: 'profile',
    });
    const { status, body } = await getJson(`/oauth2/v2.1/verify?access_token=${encodeURIComponent(token)}`);
    expect(status).toBe(200);
    expect(body.client_id).toBe(OTHER_CHANNEL.channelId);
    expect(body.scope).toBe('profile');
  });

  it('rejects expired tokens', async () => {
    for (const expiresInSec of [0, -60]) {
      const token = await line.mintAccessToken({ userId: SATO.userId, expiresInSec });
      const { status, body } = await getJson(`/oauth2/v2.1/verify?access_token=${encodeURIComponent(token)}`);
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'invalid_request', error_description: 'access token expired' });
    }
  });

  it('rejects unknown, forged and missing tokens', async () => {
    const forged = await new SignJWT({ jti: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new Uint8Array(32));
    for (const query of ['?access_token=nope', `?access_token=${forged}`, '']) {
      const { status, body } = await getJson(`/oauth2/v2.1/verify${query}`);
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'invalid_request', error_description: 'access token invalid' });
    }
  });

  it('adds x-line-request-id like LINE', async () => {
    const { headers } = await getJson('/oauth2/v2.1/verify?access_token=nope');
    expect(headers.get('x-line-request-id')).toMatch(/^[0-9a-f]+$/);
  });
});

describe('POST /oauth2/v2.1/verify (ID tokens)', () => {
  it('returns the payload of a valid ES256 token', async () => {
    const token = await line.mintIdToken({ userId: SUZUKI.userId, nonce: 'abc' });
    const { status, body } = await postVerify({
      id_token: token,
      client_id: CHANNEL.channelId,
      nonce: 'abc',
    });
    expect(status).toBe(200);
    expect(body).toEqual(decodeJwt(token));
    expect(body.sub).toBe(SUZUKI.userId);
  });

  it('accepts a matching user_id and rejects another', async () => {
    const token = await line.mintIdToken({ userId: SUZUKI.userId });
    expect(
      (await postVerify({ id_token: token, client_id: CHANNEL.channelId, user_id: SUZUKI.userId })).status,
    ).toBe(200);
    const { status, body } = await postVerify({
      id_token: token,
      client_id: CHANNEL.channelId,
      user_id: SATO.userId,
    });
    expect(status).toBe(400);
    expect(body).toEqual({
      error: 'invalid_request',
      error_description: 'Invalid IdToken Subject Identifier.',
    });
  });

  it('rejects an expired token', async () => {
    const token = await line.mintIdToken({
      userId: SATO.userId,
      issuedAt: new Date(Date.now() - 7200_000),
      expiresInSec: 3600,
    });
    const { status, body } = await postVerify({ id_token: token, client_id: CHANNEL.channelId });
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'invalid_request', error_description: 'IdToken expired.' });
  });

  it('rejects a token for another channel', async () => {
    const token = await line.mintIdToken({ userId: SATO.userId, channelId: OTHER_CHANNEL.channelId });
    const { status, body } = await postVerify({ id_token: token, client_id: CHANNEL.channelId });
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'invalid_request', error_description: 'Invalid IdToken Audience.' });
  });

  it('rejects a nonce mismatch, and a missing nonce when one is expected', async () => {
    const withNonce = await line.mintIdToken({ userId: SATO.userId, nonce: 'right' });
    const withoutNonce = await line.mintIdToken({ userId: SATO.userId });
    for (const token of [withNonce, withoutNonce]) {
      const { status, body } = await postVerify({
        id_token: token,
        client_id: CHANNEL.channelId,
        nonce: 'wrong',
      });
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'invalid_request', error_description: 'Invalid IdToken Nonce.' });
    }
  });

  it('rejects garbage, foreign signatures and alg none', async () => {
    const { privateKey } = await (await import('jose')).generateKeyPair('ES256');
    const kid = (await fetchJwks()).keys[0]!.kid!;
    const foreign = await new SignJWT({ iss: line.issuer, sub: SATO.userId, aud: CHANNEL.channelId })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: line.issuer, sub: SATO.userId, aud: CHANNEL.channelId, exp: 9999999999 }),
    ).toString('base64url')}.`;
    for (const id_token of ['not-a-jwt', foreign, unsigned]) {
      const { status, body } = await postVerify({ id_token, client_id: CHANNEL.channelId });
      expect(status).toBe(400);
      expect(body).toEqual({ error: 'invalid_request', error_description: 'Invalid IdToken.' });
    }
  });

  it("rejects an ES256 token signed with another emulator's key (unknown kid)", async () => {
    const other = await startLinePlatformEmulator({ channels: [CHANNEL] });
    try {
      const token = await other.mintIdToken({ userId: SATO.userId });
      expect(
        (await postVerify({ id_token: token, client_id: CHANNEL.channelId })).body.error_description,
      ).toBe('Invalid IdToken.');
    } finally {
      await other.close();
    }
  });

  it('verifies HS256 web-login tokens signed with the channel secret', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: line.issuer,
      sub: SATO.userId,
      aud: CHANNEL.channelId,
      iat: now,
      exp: now + 600,
      nonce: 'w',
    };
    const good = await new SignJWT(claims)
      .setProtectedHeader({ typ: 'JWT', alg: 'HS256' })
      .sign(new TextEncoder().encode(CHANNEL.channelSecret));
    const ok = await postVerify({ id_token: good, client_id: CHANNEL.channelId, nonce: 'w' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual(claims);

    const wrongSecret = await new SignJWT(claims)
      .setProtectedHeader({ typ: 'JWT', alg: 'HS256' })
      .sign(new TextEncoder().encode(OTHER_CHANNEL.channelSecret));
    expect(
      (await postVerify({ id_token: wrongSecret, client_id: CHANNEL.channelId })).body.error_description,
    ).toBe('Invalid IdToken.');

    const wrongIssuer = await new SignJWT({ ...claims, iss: 'https://evil.example' })
      .setProtectedHeader({ typ: 'JWT', alg: 'HS256' })
      .sign(new TextEncoder().encode(CHANNEL.channelSecret));
    expect(
      (await postVerify({ id_token: wrongIssuer, client_id: CHANNEL.channelId })).body.error_description,
    ).toBe('Invalid IdToken Issuer.');
  });

  it('requires id_token and client_id', async () => {
    const token = await line.mintIdToken({ userId: SATO.userId });
    expect((await postVerify({ client_id: CHANNEL.channelId })).status).toBe(400);
    expect((await postVerify({ id_token: token })).status).toBe(400);
  });
});

describe('GET /v2/profile', () => {
  it("returns the access token's user, omitting fields the user has not set", async () => {
    const sato = await line.mintAccessToken({ userId: SATO.userId });
    const res = await getJson('/v2/profile', { headers: { authorization: `Bearer ${sato}` } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      userId: SATO.userId,
      displayName: SATO.displayName,
      pictureUrl: SATO.pictureUrl,
      statusMessage: SATO.statusMessage,
    });

    const tanaka = await line.mintAccessToken({ userId: TANAKA.userId });
    const res2 = await getJson('/v2/profile', { headers: { authorization: `Bearer ${tanaka}` } });
    expect(res2.body).toEqual({ userId: TANAKA.userId, displayName: TANAKA.displayName });
  });

  it('answers 401 for missing, unknown, expired and ID tokens', async () => {
    const expired = await line.mintAccessToken({ userId: SATO.userId, expiresInSec: -1 });
    const idToken = await line.mintIdToken({ userId: SATO.userId });
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: `Bearer ${expired}` },
      { authorization: `Bearer ${idToken}` },
      { authorization: expired },
    ];
    for (const headers of cases) {
      const { status, body } = await getJson('/v2/profile', { headers });
      expect(status).toBe(401);
      expect(body).toEqual({
        message: 'Authentication failed. Confirm that the access token in the authorization header is valid.',
      });
    }
  });
});

describe('rotateKeys', () => {
  it('serves only a new key, and tokens signed with the old one stop verifying', async () => {
    const before = (await fetchJwks()).keys[0]!.kid;
    const oldToken = await line.mintIdToken({ userId: SATO.userId });
    await line.rotateKeys();
    const jwks = await fetchJwks();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]!.kid).not.toBe(before);

    const newToken = await line.mintIdToken({ userId: SATO.userId });
    expect(decodeProtectedHeader(newToken).kid).toBe(jwks.keys[0]!.kid);
    await expect(
      jwtVerify(newToken, createLocalJWKSet(jwks), { issuer: line.issuer, audience: CHANNEL.channelId }),
    ).resolves.toBeDefined();
    await expect(jwtVerify(oldToken, createLocalJWKSet(jwks))).rejects.toThrow();
    expect((await postVerify({ id_token: oldToken, client_id: CHANNEL.channelId })).status).toBe(400);
  });
});

describe('outages and stats', () => {
  it('counts requests per endpoint', async () => {
    const before = { ...line.stats };
    await fetchJwks();
    await fetchJwks();
    await getJson('/oauth2/v2.1/verify?access_token=x');
    await postVerify({ id_token: 'x', client_id: CHANNEL.channelId });
    await getJson('/v2/profile');
    await getJson('/.well-known/openid-configuration'); // not counted: only the JWKS is
    await getJson('/_emulator/users');
    expect(line.stats).toEqual({
      certs: before.certs + 2,
      verify: before.verify + 2,
      profile: before.profile + 1,
      token: before.token,
    });
  });

  it("'down' drops the connection", async () => {
    line.setOutage('certs', 'down');
    await expect(fetch(`${line.url}/oauth2/v2.1/certs`)).rejects.toThrow();
    await expect(fetch(`${line.url}/.well-known/openid-configuration`)).rejects.toThrow();
    // other endpoints are unaffected
    expect((await fetch(`${line.url}/v2/profile`)).status).toBe(401);
  });

  it("'garbage' answers 200 with a body that is not JSON", async () => {
    line.setOutage('verify', 'garbage');
    const res = await fetch(`${line.url}/oauth2/v2.1/verify?access_token=x`);
    expect(res.status).toBe(200);
    // SyntaxError from another realm (jest's vm), so match on the name
    await expect(res.json()).rejects.toHaveProperty('name', 'SyntaxError');
  });

  it("'error500' answers 500 with a JSON error", async () => {
    line.setOutage('profile', 'error500');
    const { status, body } = await getJson('/v2/profile');
    expect(status).toBe(500);
    expect(body.error).toBe('server_error');
  });

  it("'slow' answers normally after the configured delay", async () => {
    line.setOutage('certs', 'slow');
    const started = Date.now();
    const jwks = await fetchJwks();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(jwks.keys).toHaveLength(1);
  });

  it("'all' covers every LINE endpoint but not /_emulator, and null restores service", async () => {
    line.setOutage('all', 'error500');
    for (const path of [
      '/.well-known/openid-configuration',
      '/oauth2/v2.1/certs',
      '/oauth2/v2.1/verify',
      '/v2/profile',
    ]) {
      expect((await fetch(`${line.url}${path}`)).status).toBe(500);
    }
    expect((await fetch(`${line.url}/_emulator/users`)).status).toBe(200);
    line.setOutage('all', null);
    expect((await fetch(`${line.url}/oauth2/v2.1/certs`)).status).toBe(200);
  });

  it('counts requests that hit an outage', async () => {
    const before = line.stats.certs;
    line.setOutage('certs', 'down');
    await expect(fetch(`${line.url}/oauth2/v2.1/certs`)).rejects.toThrow();
    expect(line.stats.certs).toBe(before + 1);
  });
});

describe('/_emulator endpoints', () => {
  it('lists users with CORS open', async () => {
    const res = await fetch(`${line.url}/_emulator/users`, { headers: { origin: 'http://localhost:3000' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(((await res.json()) as { users: unknown[] }).users).toEqual(line.users);
  });

  it('answers a CORS preflight', async () => {
    const res = await fetch(`${line.url}/_emulator/tokens`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('content-type');
  });

  async function postToken(body: unknown) {
    return getJson('/_emulator/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
      body: JSON.stringify(body),
    });
  }

  it('mints ID tokens that verify, with nonce and channel', async () => {
    const { status, body, headers } = await postToken({
      userId: SUZUKI.userId,
      kind: 'id_token',
      channelId: OTHER_CHANNEL.channelId,
      nonce: 'demo',
    });
    expect(status).toBe(200);
    expect(headers.get('access-control-allow-origin')).toBe('*');
    const { payload } = await jwtVerify(body.token as string, createLocalJWKSet(await fetchJwks()), {
      issuer: line.issuer,
      audience: OTHER_CHANNEL.channelId,
      algorithms: ['ES256'],
    });
    expect(payload.sub).toBe(SUZUKI.userId);
    expect(payload.nonce).toBe('demo');
  });

  it('mints access tokens that work with the profile API', async () => {
    const { status, body } = await postToken({ userId: SUZUKI.userId, kind: 'access_token' });
    expect(status).toBe(200);
    const profile = await getJson('/v2/profile', { headers: { authorization: `Bearer ${body.token}` } });
    expect(profile.body.userId).toBe(SUZUKI.userId);
  });

  it('rejects unknown users, channels and kinds, and bad JSON', async () => {
    const usersBefore = line.users.length;
    expect((await postToken({ userId: 'U' + '0'.repeat(32), kind: 'id_token' })).status).toBe(400);
    expect((await postToken({ userId: SATO.userId, kind: 'id_token', channelId: '999' })).status).toBe(400);
    expect((await postToken({ userId: SATO.userId, kind: 'refresh_token' })).status).toBe(400);
    expect((await postToken([])).status).toBe(400);
    const bad = await fetch(`${line.url}/_emulator/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(bad.status).toBe(400);
    expect(line.users.length).toBe(usersBefore);
  });

  it('answers 404 for unknown paths and 405 for wrong methods', async () => {
    expect((await fetch(`${line.url}/nope`)).status).toBe(404);
    const res = await fetch(`${line.url}/oauth2/v2.1/certs`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });
});

describe('issuer option', () => {
  it('mints and checks a configured issuer', async () => {
    const other = await startLinePlatformEmulator({
      channels: [CHANNEL],
      issuer: 'https://access.line.me',
      users: [SATO],
    });
    try {
      expect(other.issuer).toBe('https://access.line.me');
      expect(other.users).toEqual([SATO]);
      const token = await other.mintIdToken({ userId: SATO.userId });
      expect(decodeJwt(token).iss).toBe('https://access.line.me');
      const res = await fetch(`${other.url}/oauth2/v2.1/verify`, {
        method: 'POST',
        body: new URLSearchParams({ id_token: token, client_id: CHANNEL.channelId }),
      });
      expect(res.status).toBe(200);
      const discovery = (await (await fetch(`${other.url}/.well-known/openid-configuration`)).json()) as {
        issuer: string;
        jwks_uri: string;
      };
      expect(discovery.issuer).toBe('https://access.line.me');
      expect(discovery.jwks_uri).toBe(`${other.url}/oauth2/v2.1/certs`);
    } finally {
      await other.close();
    }
  });

  it('close() returns promptly even with a slow request in flight', async () => {
    const other = await startLinePlatformEmulator({ channels: [CHANNEL] }); // default 5 s slow
    other.setOutage('certs', 'slow');
    const pending = fetch(`${other.url}/oauth2/v2.1/certs`).catch((e: unknown) => e);
    // Wait until the request is in flight (counted before the slow outage holds it), not a fixed time.
    while (other.stats.certs === 0) await new Promise((r) => setImmediate(r));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toHaveProperty('message', 'fetch failed');
  });
});

describe('clock option', () => {
  it('dates ID tokens and expires ID and access tokens by the injected clock', async () => {
    const clock = new ManualClock('2026-11-30T12:00:00.000Z');
    const other = await startLinePlatformEmulator({ channels: [CHANNEL], clock });
    try {
      const verifyAt = async (params: Record<string, string>) => {
        const res = await fetch(`${other.url}/oauth2/v2.1/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(params).toString(),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const idToken = await other.mintIdToken({ userId: SATO.userId });
      const accessToken = await other.mintAccessToken({ userId: SATO.userId, expiresInSec: 120 });
      const t0 = Date.parse('2026-11-30T12:00:00.000Z') / 1000;
      expect(decodeJwt(idToken)).toMatchObject({ iat: t0, exp: t0 + 3600 });

      const checkAccess = async () =>
        (await fetch(`${other.url}/oauth2/v2.1/verify?access_token=${encodeURIComponent(accessToken)}`))
          .status;
      clock.advance(119);
      expect(await checkAccess()).toBe(200);
      clock.advance(1);
      expect(await checkAccess()).toBe(400);

      clock.advance(3599 - 120);
      expect((await verifyAt({ id_token: idToken, client_id: CHANNEL.channelId })).status).toBe(200);

      clock.advance(2);
      expect(await verifyAt({ id_token: idToken, client_id: CHANNEL.channelId })).toMatchObject({
        status: 400,
        body: { error_description: 'IdToken expired.' },
      });
    } finally {
      await other.close();
    }
  });
});
