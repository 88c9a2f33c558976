import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { OidcCompanyVerifier } from '../../../../functions/adapters/company/oidc-company-verifier.js';
import { InvalidTokenError } from '../../../../functions/core/errors.js';
import { frozenClock } from '../../../support/fakes.js';

const ISSUER = 'https://idp.example.com';
const CLIENT = 'line-id-link';
const NOW = new Date('2026-11-22T09:00:00.000Z');
const nowSec = Math.floor(NOW.getTime() / 1000);

async function setup(discovery: Record<string, unknown> = {}) {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'r1', alg: 'RS256', use: 'sig' };
  const calls = { discovery: 0, jwks: 0 };
  const doc = {
    issuer: ISSUER,
    jwks_uri: `${ISSUER}/jwks`,
    authorization_endpoint: `${ISSUER}/authorize`,
    token_endpoint: `${ISSUER}/token`,
    id_token_signing_alg_values_supported: ['RS256', 'HS256', 'none'],
    ...discovery,
  };
  const fetch = async (input: string | URL) => {
    const url = String(input);
    if (url === `${ISSUER}/.well-known/openid-configuration`) {
      calls.discovery++;
      return Response.json(doc);
    }
    if (url === doc.jwks_uri) {
      calls.jwks++;
      return Response.json({ keys: [jwk] });
    }
    return new Response('not found', { status: 404 });
  };
  const verifier = new OidcCompanyVerifier({
    issuer: ISSUER,
    clientId: CLIENT,
    fetch,
    clock: frozenClock(NOW.toISOString()),
  });
  const sign = (
    claims: Record<string, unknown> = {},
    alg = 'RS256',
    key: Parameters<SignJWT['sign']>[0] = privateKey,
  ) =>
    new SignJWT({ iss: ISSUER, sub: 'M-1', aud: CLIENT, iat: nowSec - 5, exp: nowSec + 600, ...claims })
      .setProtectedHeader({ alg, kid: 'r1' })
      .sign(key);
  return { verifier, sign, calls };
}

describe('OidcCompanyVerifier', () => {
  it('verifies a token against the discovered JWKS and caches discovery and keys', async () => {
    const { verifier, sign, calls } = await setup();
    await expect(verifier.verifyIdToken(await sign())).resolves.toMatchObject({ userId: 'M-1' });
    await verifier.verifyIdToken(await sign());
    expect(calls).toEqual({ discovery: 1, jwks: 1 });
    await expect(verifier.getDiscovery()).resolves.toMatchObject({
      tokenEndpoint: `${ISSUER}/token`,
      algorithms: ['RS256'],
    });
  });

  it('never accepts HS256 or none even when the IdP advertises them', async () => {
    const { verifier, sign } = await setup();
    const hs = await sign({}, 'HS256', new TextEncoder().encode('the-client-secret'));
    await expect(verifier.verifyIdToken(hs)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('requires azp = our client when there are several audiences, and checks a nonce when given', async () => {
    const { verifier, sign } = await setup();
    await expect(verifier.verifyIdToken(await sign({ aud: [CLIENT, 'other'] }))).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
    await expect(
      verifier.verifyIdToken(await sign({ aud: [CLIENT, 'other'], azp: CLIENT })),
    ).resolves.toMatchObject({ userId: 'M-1' });
    await expect(verifier.verifyIdToken(await sign({ nonce: 'a' }), { nonce: 'b' })).rejects.toMatchObject({
      reason: 'nonce mismatch',
    });
  });

  it.each([
    ['an issuer that differs from the configured one', { issuer: 'https://evil.example.com' }],
    ['a plain-http JWKS on a public host', { jwks_uri: 'http://idp.example.com/jwks' }],
    ['only symmetric algorithms', { id_token_signing_alg_values_supported: ['HS256'] }],
  ])(
    'refuses a discovery document with %s (502) and retries discovery next time',
    async (_name, override) => {
      const { verifier, sign, calls } = await setup(override);
      const token = await sign();
      await expect(verifier.verifyIdToken(token)).rejects.toMatchObject({ code: 'company-idp-bad-response' });
      await expect(verifier.verifyIdToken(token)).rejects.toMatchObject({ code: 'company-idp-bad-response' });
      expect(calls.discovery).toBe(2);
    },
  );

  it('tells when the user signed in (auth_time, else iat), the token by its jti, and when it stops being accepted', async () => {
    const { verifier, sign } = await setup();
    await expect(
      verifier.verifyIdToken(await sign({ auth_time: nowSec - 300, jti: 'j-1' })),
    ).resolves.toEqual({
      userId: 'M-1',
      tokenId: 'jti:j-1',
      signedInAt: nowSec - 300,
      expiresAt: nowSec + 605,
    });
    await expect(verifier.verifyIdToken(await sign({ jti: 'j-2' }))).resolves.toMatchObject({
      tokenId: 'jti:j-2',
      signedInAt: nowSec - 5,
    });
  });

  it.each([
    ['no jti', {}],
    ['a jti with a space', { jti: 'j 1' }],
    ['a jti too long for a key', { jti: 'j'.repeat(256) }],
    ['a jti that is not a string', { jti: 42 }],
  ])('knows a token with %s by the SHA-256 of the whole token', async (_, claims) => {
    const { verifier, sign } = await setup();
    const token = await sign(claims);
    const { tokenId } = await verifier.verifyIdToken(token);
    expect(tokenId).toBe(`sha256:${createHash('sha256').update(token).digest('hex')}`);
  });

  it.each([
    ['not a number', { auth_time: '1700000000' }, 'auth_time is not a number'],
    ['in the future beyond the clock tolerance', { auth_time: nowSec + 6 }, 'auth_time in the future'],
  ])('refuses an auth_time %s', async (_, claims, reason) => {
    const { verifier, sign } = await setup();
    await expect(verifier.verifyIdToken(await sign(claims))).rejects.toMatchObject({
      code: 'invalid-company-token',
      reason,
    });
  });

  it('with maxAge (the web flow), requires an auth_time that recent', async () => {
    const { verifier, sign } = await setup();
    await expect(verifier.verifyIdToken(await sign(), { maxAge: 300 })).rejects.toMatchObject({
      reason: 'auth_time missing',
    });
    await expect(
      verifier.verifyIdToken(await sign({ auth_time: nowSec - 306 }), { maxAge: 300 }),
    ).rejects.toMatchObject({ reason: 'auth_time older than max_age' });
    await expect(
      verifier.verifyIdToken(await sign({ auth_time: nowSec - 305 }), { maxAge: 300 }),
    ).resolves.toMatchObject({ signedInAt: nowSec - 305 });
  });

  it('refuses a sub that cannot be a company user ID', async () => {
    const { verifier, sign } = await setup();
    await expect(verifier.verifyIdToken(await sign({ sub: 'has space' }))).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });
});
