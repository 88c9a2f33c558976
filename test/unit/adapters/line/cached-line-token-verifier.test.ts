import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { CachedLineTokenVerifier } from '../../../../functions/adapters/line/cached-line-token-verifier.js';
import { LinePlatformClient } from '../../../../functions/adapters/line/line-platform-client.js';
import { InvalidTokenError, UpstreamError } from '../../../../functions/core/errors.js';
import type { LineIdentity } from '../../../../functions/core/link.js';
import type { Clock, LineIdentityVerifier } from '../../../../functions/core/ports/index.js';

const API = 'https://api.line.test';
const ISSUER = 'https://access.line.me';
const CHANNEL = '1234567890';
const USER = `U${'a'.repeat(32)}`;
const OTHER_USER = `U${'b'.repeat(32)}`;
const START = Date.parse('2026-11-22T09:00:00.000Z');
const startSec = Math.floor(START / 1000);

/** A clock the test moves by hand; shared by the cache and the verifier it wraps. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = START;
  return { now: () => new Date(now), advance: (ms) => (now += ms) };
}

interface Calls {
  certs: number;
  verify: number;
  profile: number;
  /** Calls that reached the wrapped verifier (where the signature check happens). */
  inner: number;
}

async function setup(
  options: { maxEntries?: number; idTokenMaxTtlMs?: number; accessTokenTtlMs?: number } = {},
) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const calls: Calls = { certs: 0, verify: 0, profile: 0, inner: 0 };
  const line = {
    verify: (_token: string) => ({
      status: 200,
      body: { client_id: CHANNEL, expires_in: 2591000 } as unknown,
    }),
    profile: (token: string) => ({
      status: 200,
      body: { userId: token.startsWith('b') ? OTHER_USER : USER },
    }),
  };
  const fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const reply = (status: number, body: unknown) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (url.pathname === '/oauth2/v2.1/certs') {
      calls.certs++;
      return reply(200, { keys: [jwk] });
    }
    if (url.pathname === '/oauth2/v2.1/verify') {
      calls.verify++;
      const r = line.verify(url.searchParams.get('access_token') ?? '');
      return reply(r.status, r.body);
    }
    if (url.pathname === '/v2/profile') {
      calls.profile++;
      const token = (new Headers(init?.headers).get('authorization') ?? '').replace(/^Bearer /, '');
      const r = line.profile(token);
      return reply(r.status, r.body);
    }
    return reply(404, {});
  };
  const clock = manualClock();
  const platform = new LinePlatformClient({
    channelIds: [CHANNEL],
    loginChannelId: CHANNEL,
    apiBase: API,
    issuer: ISSUER,
    fetch,
    clock,
  });
  const counting: LineIdentityVerifier = {
    verifyBearer: (token) => {
      calls.inner++;
      return platform.verifyBearer(token);
    },
  };
  const cache = new CachedLineTokenVerifier(counting, { channelIds: CHANNEL, clock, ...options });
  const sign = (claims: Record<string, unknown> = {}) =>
    new SignJWT({ iss: ISSUER, sub: USER, aud: CHANNEL, iat: startSec - 10, exp: startSec + 3600, ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'k1' })
      .sign(privateKey);
  return { cache, counting, calls, clock, line, sign };
}

// What the wrapped verifier says, less `expiresAt` (each case's token has its own).
const ID: LineIdentity = { userId: USER, via: 'id-token', channelId: CHANNEL };
const ACCESS: LineIdentity = { userId: USER, via: 'access-token', channelId: CHANNEL };

describe('CachedLineTokenVerifier: ID tokens', () => {
  it('serves a repeated token from the cache, without crypto or network', async () => {
    const { cache, calls, sign } = await setup();
    const token = await sign();
    await expect(cache.verifyBearer(token)).resolves.toMatchObject(ID);
    expect(calls).toEqual({ certs: 1, verify: 0, profile: 0, inner: 1 });
    for (let i = 0; i < 5; i++) await expect(cache.verifyBearer(token)).resolves.toMatchObject(ID);
    expect(calls).toEqual({ certs: 1, verify: 0, profile: 0, inner: 1 });
  });

  it("verifies again once the token's exp has passed, and then refuses it", async () => {
    const { cache, calls, clock, sign } = await setup({ idTokenMaxTtlMs: 3_600_000 });
    const token = await sign({ exp: startSec + 120 });
    await cache.verifyBearer(token);
    clock.advance(119_000);
    await expect(cache.verifyBearer(token)).resolves.toMatchObject(ID);
    expect(calls.inner).toBe(1);
    // At exp the entry is gone; the wrapped verifier still allows its 5 s clock tolerance.
    clock.advance(1_000);
    await expect(cache.verifyBearer(token)).resolves.toMatchObject(ID);
    expect(calls.inner).toBe(2);
    clock.advance(10_000);
    await expect(cache.verifyBearer(token)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(calls.inner).toBe(3);
  });

  it('reuses an ID token at most idTokenMaxTtlMs, even when exp is later', async () => {
    const { cache, calls, clock, sign } = await setup({ idTokenMaxTtlMs: 60_000 });
    const token = await sign({ exp: startSec + 3600 });
    await cache.verifyBearer(token);
    clock.advance(59_999);
    await cache.verifyBearer(token);
    expect(calls.inner).toBe(1);
    clock.advance(1);
    await cache.verifyBearer(token);
    expect(calls.inner).toBe(2);
  });

  it('verifies a token one byte different from scratch, and refuses it', async () => {
    const { cache, calls, sign } = await setup();
    const token = await sign();
    await cache.verifyBearer(token);
    // One character in the middle of the signature (the last one may only carry padding bits).
    const at = token.length - 20;
    const tampered = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    await expect(cache.verifyBearer(tampered)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(calls.inner).toBe(2);
    // And the genuine token is still served from the cache.
    await cache.verifyBearer(token);
    expect(calls.inner).toBe(2);
  });

  it('never caches a refused token: each attempt is verified again', async () => {
    const { cache, calls, sign } = await setup();
    const wrongAudience = await sign({ aud: '999' });
    for (let i = 0; i < 3; i++)
      await expect(cache.verifyBearer(wrongAudience)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(calls.inner).toBe(3);
    expect(cache.size).toBe(0);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const { cache, calls, sign } = await setup({ maxEntries: 2 });
    const [a, b, c] = await Promise.all([sign({ jti: 'a' }), sign({ jti: 'b' }), sign({ jti: 'c' })]);
    await cache.verifyBearer(a!);
    await cache.verifyBearer(b!);
    await cache.verifyBearer(a!); // a is now the most recently used
    await cache.verifyBearer(c!); // evicts b
    expect(cache.size).toBe(2);
    expect(calls.inner).toBe(3);
    await cache.verifyBearer(a!);
    await cache.verifyBearer(c!);
    expect(calls.inner).toBe(3);
    await cache.verifyBearer(b!);
    expect(calls.inner).toBe(4);
    expect(cache.size).toBe(2);
  });

  it('does not serve a success recorded for another accepted channel list', async () => {
    const { counting, calls, clock, sign } = await setup();
    const token = await sign();
    const before = new CachedLineTokenVerifier(counting, { channelIds: [CHANNEL], clock });
    // The same store read with a changed list (as if the list changed in place): the key
    // differs, so the token is verified again.
    const after = new CachedLineTokenVerifier(counting, { channelIds: [CHANNEL, '2222222222'], clock });
    Object.assign(after, { entries: (before as unknown as { entries: Map<string, unknown> }).entries });
    await before.verifyBearer(token);
    await after.verifyBearer(token);
    expect(calls.inner).toBe(2);
    expect(after.size).toBe(2);
  });
});

describe('CachedLineTokenVerifier: identities without an expiry', () => {
  it('keeps nothing when the wrapped verifier does not say when the credential ends', async () => {
    let calls = 0;
    const inner: LineIdentityVerifier = {
      verifyBearer: async () => {
        calls++;
        return { ...ID };
      },
    };
    const cache = new CachedLineTokenVerifier(inner, { channelIds: CHANNEL });
    await cache.verifyBearer('token');
    await cache.verifyBearer('token');
    expect(calls).toBe(2);
    expect(cache.size).toBe(0);
  });
});

describe('CachedLineTokenVerifier: access tokens', () => {
  it('reuses an access token for accessTokenTtlMs, then asks LINE again', async () => {
    const { cache, calls, clock } = await setup({ accessTokenTtlMs: 60_000 });
    await expect(cache.verifyBearer('access-token-1')).resolves.toMatchObject(ACCESS);
    expect(calls).toMatchObject({ verify: 1, profile: 1 });
    clock.advance(59_999);
    await expect(cache.verifyBearer('access-token-1')).resolves.toMatchObject(ACCESS);
    expect(calls).toMatchObject({ verify: 1, profile: 1 });
    clock.advance(1);
    await cache.verifyBearer('access-token-1');
    expect(calls).toMatchObject({ verify: 2, profile: 2 });
  });

  it("never outlives the token: LINE's expires_in shorter than the TTL ends the entry", async () => {
    const { cache, calls, clock, line } = await setup({ accessTokenTtlMs: 60_000 });
    line.verify = () => ({ status: 200, body: { client_id: CHANNEL, expires_in: 10 } });
    await expect(cache.verifyBearer('short-lived')).resolves.toEqual({ ...ACCESS, expiresAt: startSec + 10 });
    clock.advance(9_999);
    await cache.verifyBearer('short-lived');
    expect(calls.verify).toBe(1);
    clock.advance(1);
    line.verify = () => ({ status: 400, body: { error: 'invalid_request', error_description: 'expired' } });
    await expect(cache.verifyBearer('short-lived')).rejects.toBeInstanceOf(InvalidTokenError);
    expect(calls.verify).toBe(2);
  });

  it('does not cache a refusal or an upstream failure', async () => {
    const { cache, calls, line } = await setup();
    line.verify = () => ({ status: 401, body: { error: 'invalid_request' } });
    await expect(cache.verifyBearer('revoked')).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(cache.verifyBearer('revoked')).rejects.toBeInstanceOf(InvalidTokenError);
    line.verify = () => ({ status: 503, body: {} });
    await expect(cache.verifyBearer('flaky')).rejects.toBeInstanceOf(UpstreamError);
    line.verify = () => ({ status: 200, body: { client_id: CHANNEL, expires_in: 100 } });
    await expect(cache.verifyBearer('flaky')).resolves.toMatchObject(ACCESS);
    expect(calls.verify).toBe(4);
    expect(cache.size).toBe(1);
  });

  it('keeps each token to its own identity', async () => {
    const { cache } = await setup();
    await expect(cache.verifyBearer('a-token')).resolves.toMatchObject(ACCESS);
    await expect(cache.verifyBearer('b-token')).resolves.toMatchObject({ ...ACCESS, userId: OTHER_USER });
    await expect(cache.verifyBearer('a-token')).resolves.toMatchObject(ACCESS);
  });

  it('hands out copies: a caller mutating its identity does not change the cache', async () => {
    const { cache } = await setup();
    const first = await cache.verifyBearer('a-token');
    first.userId = OTHER_USER;
    await expect(cache.verifyBearer('a-token')).resolves.toMatchObject(ACCESS);
  });
});
