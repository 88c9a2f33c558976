import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { AuthorizationServer } from 'oauth4webapi';
import { AuthorizationCodeRejectedError, UpstreamError } from '../../../../functions/core/errors.js';
import type { FetchLike } from '../../../../functions/adapters/http/fetch-with-timeout.js';
import {
  clientCredentialsToken,
  clientPublicJwk,
  importClientPrivateKey,
  redeemAuthorizationCode,
  type RedeemOptions,
} from '../../../../functions/adapters/http/oauth-client.js';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const nowSec = Math.floor(NOW.getTime() / 1000);
const AS: AuthorizationServer = {
  issuer: 'https://idp.test',
  token_endpoint: 'https://idp.test/token',
  id_token_signing_alg_values_supported: ['HS256'],
};

async function idToken(claims: Record<string, unknown> = {}) {
  return new SignJWT({
    iss: 'https://idp.test',
    aud: 'line id+link',
    sub: 'M-1',
    iat: nowSec,
    exp: nowSec + 600,
    nonce: 'the-nonce',
    ...claims,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode('k'.repeat(32)));
}

const tokenResponse = async (claims?: Record<string, unknown>) =>
  JSON.stringify({ access_token: 'at', token_type: 'Bearer', id_token: await idToken(claims) });

function respond(status: number, body: string, contentType = 'application/json'): FetchLike {
  return async () => new Response(body, { status, headers: { 'content-type': contentType } });
}

function options(fetchImpl: FetchLike, overrides: Partial<RedeemOptions> = {}): RedeemOptions {
  return {
    as: AS,
    clientId: 'line id+link',
    auth: { method: 'client_secret_basic', clientSecret: 'sec:ret/=' },
    callback: { code: 'the-code' },
    redirectUri: 'https://api.test/auth/company/callback',
    codeVerifier: 'v'.repeat(64),
    nonce: 'the-nonce',
    realm: 'company',
    upstream: 'company-idp',
    timeoutMs: 200,
    fetch: fetchImpl,
    now: () => NOW,
    ...overrides,
  };
}

describe('redeemAuthorizationCode (oauth4webapi)', () => {
  it('posts the authorization_code grant with PKCE and client_secret_basic (form-urlencoded parts)', async () => {
    let seen: { url: string; init: RequestInit } | undefined;
    const body = await tokenResponse();
    const fetchImpl: FetchLike = async (url, init) => {
      seen = { url: String(url), init: init! };
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const token = await redeemAuthorizationCode(options(fetchImpl));
    expect(decodeJwt(token).sub).toBe('M-1');
    expect(seen!.url).toBe('https://idp.test/token');
    expect(seen!.init.method).toBe('POST');
    const headers = new Headers(seen!.init.headers);
    expect(headers.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/);
    const [user, password] = Buffer.from(headers.get('authorization')!.replace('Basic ', ''), 'base64')
      .toString()
      .split(':');
    expect(decodeURIComponent(user!.replace(/\+/g, ' '))).toBe('line id+link');
    expect(decodeURIComponent(password!.replace(/\+/g, ' '))).toBe('sec:ret/=');
    expect(Object.fromEntries(new URLSearchParams(String(seen!.init.body)))).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'https://api.test/auth/company/callback',
      code_verifier: 'v'.repeat(64),
    });
  });

  it('puts the client credentials in the form for client_secret_post (LINE)', async () => {
    let body = '';
    let authorization: string | null = null;
    const reply = await tokenResponse({ aud: '123' });
    const fetchImpl: FetchLike = async (_url, init) => {
      body = String(init!.body);
      authorization = new Headers(init!.headers).get('authorization');
      return new Response(reply, { status: 200 });
    };
    await redeemAuthorizationCode(
      options(fetchImpl, { clientId: '123', auth: { method: 'client_secret_post', clientSecret: 's3cret' } }),
    );
    expect(authorization).toBeNull();
    expect(new URLSearchParams(body).get('client_id')).toBe('123');
    expect(new URLSearchParams(body).get('client_secret')).toBe('s3cret');
  });

  it('signs a private_key_jwt client assertion (RFC 7523) with the imported key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const stored = JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'k1' });
    let form = new URLSearchParams();
    const reply = await tokenResponse();
    const fetchImpl: FetchLike = async (_url, init) => {
      form = new URLSearchParams(String(init!.body));
      return new Response(reply, { status: 200 });
    };
    await redeemAuthorizationCode(
      options(fetchImpl, {
        auth: { method: 'private_key_jwt', privateKey: await importClientPrivateKey(stored) },
      }),
    );
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(form.get('client_secret')).toBeNull();
    const assertion = form.get('client_assertion')!;
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'ES256', kid: 'k1' });
    const { payload } = await jwtVerify(assertion, publicKey, {
      issuer: 'line id+link',
      subject: 'line id+link',
      audience: 'https://idp.test',
      algorithms: ['ES256'],
      // The assertion's times follow the service's clock (frozen here), not the machine's.
      currentDate: NOW,
    });
    expect(payload.jti).toEqual(expect.any(String));
  });

  it('refuses an authorization response whose iss is not the issuer (RFC 9207), before any token call', async () => {
    let calls = 0;
    const counting: FetchLike = async () => (calls++, new Response('{}'));
    await expect(
      redeemAuthorizationCode(options(counting, { callback: { code: 'c', iss: 'https://evil.test' } })),
    ).rejects.toMatchObject({ code: 'invalid-company-token' });
    // A server that says it always sends iss must send it.
    await expect(
      redeemAuthorizationCode(
        options(counting, { as: { ...AS, authorization_response_iss_parameter_supported: true } }),
      ),
    ).rejects.toMatchObject({ code: 'invalid-company-token' });
    expect(calls).toBe(0);
    const reply = await tokenResponse();
    await expect(
      redeemAuthorizationCode(
        options(respond(200, reply), { callback: { code: 'c', iss: 'https://idp.test' } }),
      ),
    ).resolves.toEqual(expect.any(String));
  });

  it('checks auth_time against max_age, and the nonce', async () => {
    const fresh = await tokenResponse({ auth_time: nowSec - 60 });
    const old = await tokenResponse({ auth_time: nowSec - 3600 });
    await expect(redeemAuthorizationCode(options(respond(200, fresh), { maxAge: 300 }))).resolves.toEqual(
      expect.any(String),
    );
    await expect(redeemAuthorizationCode(options(respond(200, old), { maxAge: 300 }))).rejects.toMatchObject({
      code: 'invalid-company-token',
    });
    const none = await tokenResponse();
    await expect(redeemAuthorizationCode(options(respond(200, none), { maxAge: 300 }))).rejects.toMatchObject(
      {
        code: 'invalid-company-token',
      },
    );
    await expect(
      redeemAuthorizationCode(options(respond(200, fresh), { nonce: 'another' })),
    ).rejects.toMatchObject({ code: 'invalid-company-token' });
  });

  it.each([
    ['invalid_grant', respond(400, '{"error":"invalid_grant"}'), 'company-code-rejected'],
    [
      'invalid_client (our secret is wrong)',
      respond(401, '{"error":"invalid_client"}'),
      'company-idp-bad-response',
    ],
    ['another 400', respond(400, '{"error":"invalid_request"}'), 'company-idp-bad-response'],
    ['a 500', respond(500, '{"error":"server_error"}'), 'company-idp-unavailable'],
    ['a 429', respond(429, ''), 'company-idp-unavailable'],
    ['non-JSON', respond(200, '<html>oops</html>', 'text/html'), 'company-idp-bad-response'],
    ['a JSON array', respond(200, '[]'), 'company-idp-bad-response'],
    ['no id_token', respond(200, '{"access_token":"x","token_type":"Bearer"}'), 'company-idp-bad-response'],
    [
      'a network error',
      (async () => {
        throw new TypeError('fetch failed');
      }) as FetchLike,
      'company-idp-unavailable',
    ],
  ])('fails closed on %s', async (_name, fetchImpl, code) => {
    await expect(redeemAuthorizationCode(options(fetchImpl))).rejects.toMatchObject({ code });
  });

  it('gives up after the timeout', async () => {
    const hang: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) =>
        init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)),
      );
    const started = Date.now();
    const error = await redeemAuthorizationCode(options(hang, { timeoutMs: 50 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('names the realm in a rejected code', async () => {
    const error = await redeemAuthorizationCode(
      options(respond(400, '{"error":"invalid_grant"}'), { realm: 'line', upstream: 'line' }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationCodeRejectedError);
    expect(error).toMatchObject({ code: 'line-code-rejected' });
  });

  it('refuses plain http except to a loopback host', async () => {
    const reply = await tokenResponse({ iss: 'http://127.0.0.1:9999' });
    const local = { issuer: 'http://127.0.0.1:9999', token_endpoint: 'http://127.0.0.1:9999/token' };
    await expect(
      redeemAuthorizationCode(options(respond(200, reply), { as: { ...AS, ...local } })),
    ).resolves.toEqual(expect.any(String));
    const remote = { issuer: 'http://idp.test', token_endpoint: 'http://idp.test/token' };
    await expect(
      redeemAuthorizationCode(options(respond(200, reply), { as: { ...AS, ...remote } })),
    ).rejects.toBeInstanceOf(UpstreamError);
  });
});

describe('clientCredentialsToken', () => {
  it('gets a Bearer token with client_secret_basic and the scope', async () => {
    let form = new URLSearchParams();
    const fetchImpl: FetchLike = async (_url, init) => {
      form = new URLSearchParams(String(init!.body));
      return new Response('{"access_token":"tok","token_type":"Bearer","expires_in":600}', { status: 200 });
    };
    await expect(
      clientCredentialsToken({
        tokenEndpoint: 'https://idp.test/token',
        clientId: 'api-client',
        auth: { method: 'client_secret_basic', clientSecret: 's' },
        scope: 'members.verify',
        upstream: 'company-api',
        fetch: fetchImpl,
        timeoutMs: 200,
      }),
    ).resolves.toEqual({ accessToken: 'tok', expiresIn: 600 });
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'client_credentials', scope: 'members.verify' });
  });
});

describe('importClientPrivateKey', () => {
  it('reads a PKCS#8 PEM (RSA → RS256) and a JWK, with the thumbprint as kid when none is given', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const fromPem = await importClientPrivateKey(pem);
    expect(fromPem.key.algorithm.name).toBe('RSASSA-PKCS1-v1_5');
    expect(fromPem.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const publicJwk = await clientPublicJwk(pem);
    expect(publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', kid: fromPem.kid, use: 'sig' });
    expect(publicJwk.d).toBeUndefined();
    await expect(importClientPrivateKey(JSON.stringify(publicJwk))).rejects.toThrow(/private/);
  });
});
