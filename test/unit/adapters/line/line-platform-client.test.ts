import { base64url, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import {
  LinePlatformClient,
  looksLikeLineIdToken,
} from '../../../../functions/adapters/line/line-platform-client.js';
import { InvalidTokenError, UpstreamError } from '../../../../functions/core/errors.js';
import { frozenClock } from '../../../support/fakes.js';

const API = 'https://api.line.test';
const ISSUER = 'https://access.line.me';
const CHANNEL = '1234567890';
const USER = `U${'a'.repeat(32)}`;
const NOW = new Date('2026-11-22T09:00:00.000Z');
const nowSec = Math.floor(NOW.getTime() / 1000);

interface FakeLine {
  jwks: { keys: JWK[] };
  certsCalls: number;
  verify: (token: string) => { status: number; body: unknown };
  profile: (token: string) => { status: number; body: unknown };
  fail?: 'network' | 'timeout';
}

function fakeFetch(line: FakeLine) {
  return async (input: string | URL, init?: RequestInit): Promise<Response> => {
    if (line.fail === 'network') throw new TypeError('fetch failed');
    if (line.fail === 'timeout') {
      return new Promise((_, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error)),
      );
    }
    const url = new URL(String(input));
    const reply = (status: number, body: unknown) =>
      new Response(typeof body === 'string' ? body : JSON.stringify(body), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    if (url.pathname === '/oauth2/v2.1/certs') {
      line.certsCalls++;
      return reply(200, line.jwks);
    }
    if (url.pathname === '/oauth2/v2.1/verify') {
      const r = line.verify(url.searchParams.get('access_token') ?? '');
      return reply(r.status, r.body);
    }
    if (url.pathname === '/v2/profile') {
      const auth = new Headers(init?.headers).get('authorization') ?? '';
      const r = line.profile(auth.replace(/^Bearer /, ''));
      return reply(r.status, r.body);
    }
    return reply(404, {});
  };
}

async function setup(overrides: Partial<FakeLine> = {}, channelIds: readonly string[] = [CHANNEL]) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const line: FakeLine = {
    jwks: { keys: [jwk] },
    certsCalls: 0,
    verify: () => ({ status: 200, body: { scope: 'profile', client_id: CHANNEL, expires_in: 2591000 } }),
    profile: () => ({ status: 200, body: { userId: USER, displayName: 'Taro' } }),
    ...overrides,
  };
  const client = new LinePlatformClient({
    channelIds,
    loginChannelId: channelIds[0]!,
    apiBase: API,
    issuer: ISSUER,
    timeoutMs: 200,
    fetch: fakeFetch(line),
    clock: frozenClock(NOW.toISOString()),
  });
  const sign = (
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
    key = privateKey,
  ) =>
    new SignJWT({ iss: ISSUER, sub: USER, aud: CHANNEL, iat: nowSec - 10, exp: nowSec + 3600, ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'k1', ...header })
      .sign(key);
  return { client, line, sign, privateKey };
}

const rejectsWith = async (promise: Promise<unknown>, type: new (...args: never[]) => Error) => {
  await expect(promise).rejects.toBeInstanceOf(type);
};

describe('LinePlatformClient: ID tokens (ES256, JWKS)', () => {
  it('accepts a valid LIFF ID token and returns its sub', async () => {
    const { client, sign } = await setup();
    await expect(client.verifyBearer(await sign())).resolves.toEqual({
      userId: USER,
      via: 'id-token',
      channelId: CHANNEL,
      expiresAt: nowSec + 3600,
    });
  });

  it('accepts an ID token of each listed channel (a MINI App has three) and reports which', async () => {
    const channels = ['1111111111', '2222222222', '3333333333'];
    const { client, sign } = await setup({}, channels);
    for (const aud of channels) {
      await expect(client.verifyBearer(await sign({ aud }))).resolves.toMatchObject({ channelId: aud });
    }
    await expect(
      client.verifyBearer(await sign({ aud: ['9999999999', '2222222222'] })),
    ).resolves.toMatchObject({ channelId: '2222222222' });
    await rejectsWith(client.verifyBearer(await sign({ aud: '4444444444' })), InvalidTokenError);
  });

  it('refuses a forged signature', async () => {
    const { client, sign } = await setup();
    const { privateKey: other } = await generateKeyPair('ES256');
    await rejectsWith(client.verifyBearer(await sign({}, {}, other)), InvalidTokenError);
  });

  it('refuses alg none and an HS256 token on the ES256 path without fetching keys', async () => {
    const { client, line } = await setup();
    const payload = base64url.encode(
      JSON.stringify({ iss: ISSUER, sub: USER, aud: CHANNEL, iat: nowSec, exp: nowSec + 60 }),
    );
    const none = `${base64url.encode('{"alg":"none","typ":"JWT"}')}.${payload}.`;
    await rejectsWith(client.verifyBearer(none), InvalidTokenError);
    const hs = await new SignJWT({ sub: USER, aud: CHANNEL, iat: nowSec, exp: nowSec + 60 })
      .setIssuer(ISSUER)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('channel-secret-known-to-attacker'));
    await rejectsWith(client.verifyBearer(hs), InvalidTokenError);
    expect(line.certsCalls).toBe(0);
  });

  it.each([
    ['wrong aud', { aud: '999' }],
    ['wrong iss', { iss: 'https://evil.example' }],
    ['expired', { iat: nowSec - 7200, exp: nowSec - 3600 }],
    ['missing sub', { sub: undefined }],
    ['sub that is not a LINE user ID', { sub: 'admin' }],
    ['issued in the future', { iat: nowSec + 600, exp: nowSec + 4200 }],
  ])('refuses %s', async (_name, claims) => {
    const { client, sign } = await setup();
    // A token whose iss is not LINE's is routed to the access-token path, which refuses it too.
    const { client: strict } = await setup({
      verify: () => ({ status: 400, body: { error: 'invalid_request' } }),
    });
    const token = await sign(claims);
    await rejectsWith(client.verifyLiffIdToken(token), InvalidTokenError);
    await rejectsWith(strict.verifyBearer(token), InvalidTokenError);
  });

  it('ignores keys named by the token (jwk, jku) and only trusts the JWKS', async () => {
    const { client, sign } = await setup();
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const token = await sign(
      {},
      { kid: 'attacker', jwk: await exportJWK(publicKey), jku: 'https://evil.example/jwks' },
      privateKey,
    );
    await rejectsWith(client.verifyBearer(token), InvalidTokenError);
  });

  it('refetches the JWKS for an unknown kid at most once per cooldown', async () => {
    const { client, sign, line } = await setup();
    await client.verifyBearer(await sign());
    expect(line.certsCalls).toBe(1);
    const unknown = await sign({}, { kid: 'rotated' });
    for (let i = 0; i < 5; i++) await rejectsWith(client.verifyBearer(unknown), InvalidTokenError);
    expect(line.certsCalls).toBe(1);
  });

  it('fails closed when the JWKS endpoint is unreachable or slow', async () => {
    for (const fail of ['network', 'timeout'] as const) {
      const { client, sign, line } = await setup();
      const token = await sign();
      line.fail = fail;
      await rejectsWith(client.verifyBearer(token), UpstreamError);
    }
  });

  it('checks the nonce when one is expected', async () => {
    const { client, sign } = await setup();
    await expect(
      client.verifyLiffIdToken(await sign({ nonce: 'n1' }), { nonce: 'n1' }),
    ).resolves.toMatchObject({
      userId: USER,
    });
    await rejectsWith(
      client.verifyLiffIdToken(await sign({ nonce: 'n1' }), { nonce: 'n2' }),
      InvalidTokenError,
    );
  });
});

describe('LinePlatformClient: access tokens (verify + profile)', () => {
  it('accepts a token LINE verifies for our channel and takes the user ID from the profile', async () => {
    const { client } = await setup();
    await expect(client.verifyBearer('opaque-access-token')).resolves.toEqual({
      userId: USER,
      via: 'access-token',
      channelId: CHANNEL,
      // LINE's expires_in, counted from when the service asked.
      expiresAt: nowSec + 2591000,
    });
  });

  it('accepts an access token of any listed channel and refuses an unlisted one', async () => {
    let clientId = '2222222222';
    const { client } = await setup(
      { verify: () => ({ status: 200, body: { scope: 'profile', client_id: clientId, expires_in: 100 } }) },
      ['1111111111', '2222222222'],
    );
    await expect(client.verifyBearer('opaque-access-token')).resolves.toMatchObject({
      channelId: '2222222222',
    });
    clientId = '3333333333';
    await rejectsWith(client.verifyBearer('opaque-access-token'), InvalidTokenError);
  });

  it.each([
    ['another channel', { status: 200, body: { client_id: '999', expires_in: 100, scope: 'profile' } }],
    ['expires_in 0', { status: 200, body: { client_id: CHANNEL, expires_in: 0, scope: 'profile' } }],
    ['expires_in missing', { status: 200, body: { client_id: CHANNEL, scope: 'profile' } }],
    [
      'LINE says invalid',
      { status: 400, body: { error: 'invalid_request', error_description: 'access token expired' } },
    ],
  ])('refuses %s', async (_name, verify) => {
    const { client } = await setup({ verify: () => verify });
    await rejectsWith(client.verifyBearer('opaque-access-token'), InvalidTokenError);
  });

  it('refuses a malformed bearer token without calling LINE', async () => {
    const { client, line } = await setup({
      verify: () => {
        throw new Error('must not be called');
      },
    });
    await rejectsWith(client.verifyBearer('has spaces and "quotes"'), InvalidTokenError);
    expect(line.certsCalls).toBe(0);
  });

  it('maps LINE failures: 5xx → unavailable, garbage → bad response', async () => {
    const { client: down } = await setup({ verify: () => ({ status: 503, body: {} }) });
    await expect(down.verifyBearer('t')).rejects.toMatchObject({ code: 'line-unavailable' });
    const { client: garbage } = await setup({ verify: () => ({ status: 200, body: '<html>' }) });
    await expect(garbage.verifyBearer('t')).rejects.toMatchObject({ code: 'line-bad-response' });
    const { client: badProfile } = await setup({
      profile: () => ({ status: 200, body: { userId: '../admin' } }),
    });
    await expect(badProfile.verifyBearer('t')).rejects.toMatchObject({ code: 'line-bad-response' });
  });
});

describe('looksLikeLineIdToken', () => {
  const ISSUER = 'https://access.line.me';
  const jwt = (payload: Record<string, unknown>) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('k'.repeat(32)));

  it("is a JWT naming LINE's issuer; LINE's access tokens are JWTs too, without it", async () => {
    expect(looksLikeLineIdToken(await jwt({ iss: ISSUER, sub: 'U1' }), ISSUER)).toBe(true);
    expect(looksLikeLineIdToken(await jwt({ jti: 'x' }), ISSUER)).toBe(false);
    expect(looksLikeLineIdToken(await jwt({ iss: 'https://elsewhere.example' }), ISSUER)).toBe(false);
  });

  it('anything that is not a JWT is not one', () => {
    for (const token of ['', 'opaque-access-token', 'a.b.c', '..']) {
      expect(looksLikeLineIdToken(token, ISSUER)).toBe(false);
    }
  });
});
