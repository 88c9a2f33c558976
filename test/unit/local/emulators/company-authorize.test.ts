import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
} from 'jose';
import {
  startCompanyIdpEmulator,
  type CompanyIdpEmulator,
} from '../../../../functions/local/emulators/company-idp-emulator.js';
import { DEFAULT_COMPANY_MEMBERS } from '../../../../functions/local/emulators/test-identities.js';
import { ManualClock } from '../../../support/member-fakes.js';
import { decide, openAuthorize, pkcePair } from '../../../support/oauth-browser.js';

const CLIENT = { clientId: 'line-id-link', clientSecret: 'company client+secret/=' };
const OTHER_CLIENT = {
  clientId: 'other-app',
  clientSecret: 'other-secret',
  redirectUris: ['https://other.example/cb'],
};
const CALLBACK = 'https://api.example.com/auth/company/callback';
const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!;

let idp: CompanyIdpEmulator;
/** A client registered with a public key only (private_key_jwt). */
const KEY_CLIENT = { clientId: 'key-client' };
let keyClientKey: CryptoKey;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  keyClientKey = privateKey;
  const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256' };
  idp = await startCompanyIdpEmulator({
    clients: [CLIENT, OTHER_CLIENT, { ...KEY_CLIENT, jwks: [jwk] }],
    slowMs: 50,
  });
});

afterAll(async () => {
  await idp.close();
});

afterEach(() => {
  idp.setOutage('all', null);
  idp.setTokenFault(null);
});

function authorizeUrl(overrides: Record<string, string | null> = {}, challenge?: string): string {
  const params: Record<string, string | null> = {
    response_type: 'code',
    client_id: CLIENT.clientId,
    redirect_uri: CALLBACK,
    state: 'st-1',
    scope: 'openid',
    nonce: 'company-nonce',
    code_challenge: challenge ?? null,
    code_challenge_method: challenge ? 'S256' : null,
    ...overrides,
  };
  const query = new URLSearchParams(
    Object.entries(params).filter((e): e is [string, string] => e[1] !== null),
  );
  return `${idp.url}/authorize?${query}`;
}

async function login(member = HANAKO.memberId) {
  const { verifier, challenge } = await pkcePair();
  const location = new URL(await decide(authorizeUrl({}, challenge), member));
  return { code: location.searchParams.get('code')!, verifier };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function token(form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${idp.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const grant = (code: string, verifier: string, extra: Record<string, string> = {}) => ({
  grant_type: 'authorization_code',
  code,
  redirect_uri: CALLBACK,
  code_verifier: verifier,
  ...extra,
});

async function verify(idToken: string) {
  const jwks = (await (await fetch(`${idp.url}/jwks`)).json()) as JSONWebKeySet;
  return jwtVerify(idToken, createLocalJWKSet(jwks), {
    issuer: idp.issuer,
    audience: CLIENT.clientId,
    algorithms: ['RS256'],
  });
}

describe('company IdP /authorize', () => {
  it('advertises the endpoints, PKCE and both client authentication methods', async () => {
    const discovery = (await (await fetch(`${idp.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery).toMatchObject({
      authorization_endpoint: `${idp.url}/authorize`,
      token_endpoint: `${idp.url}/token`,
      code_challenge_methods_supported: ['S256'],
    });
  });

  it('shows the members, and sends back a code and the state on Allow or access_denied on Cancel', async () => {
    const page = await openAuthorize(authorizeUrl());
    expect(page.status).toBe(200);
    for (const m of DEFAULT_COMPANY_MEMBERS) expect(page.html).toContain(m.memberId);
    const allowed = new URL(await decide(authorizeUrl(), HANAKO.memberId));
    expect(allowed.searchParams.get('state')).toBe('st-1');
    expect(allowed.searchParams.get('code')).toBeTruthy();
    const cancelled = new URL(await decide(authorizeUrl(), HANAKO.memberId, 'cancel'));
    expect(cancelled.searchParams.get('error')).toBe('access_denied');
    expect(cancelled.searchParams.get('state')).toBe('st-1');
  });

  it('validates client, redirect URI, response type, state, scope and PKCE method', async () => {
    expect((await openAuthorize(authorizeUrl({ client_id: 'nobody' }))).status).toBe(400);
    expect((await openAuthorize(authorizeUrl({ client_id: OTHER_CLIENT.clientId }))).status).toBe(400);
    for (const [overrides, error] of [
      [{ response_type: 'id_token' }, 'unsupported_response_type'],
      [{ state: null }, 'invalid_request'],
      [{ scope: 'profile' }, 'invalid_scope'],
      [{ code_challenge: 'y'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
    ] as const) {
      const page = await openAuthorize(authorizeUrl(overrides));
      expect(page.status).toBe(302);
      expect(new URL(page.location!).searchParams.get('error')).toBe(error);
    }
  });
});

describe('company IdP /token (authorization_code)', () => {
  it('redeems with client_secret_basic for an RS256 ID token carrying the nonce', async () => {
    const before = idp.stats.token;
    const { code, verifier } = await login();
    const { status, body } = await token(grant(code, verifier), {
      authorization: basic(CLIENT.clientId, CLIENT.clientSecret),
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'openid' });
    expect(decodeProtectedHeader(body.id_token as string).alg).toBe('RS256');
    const { payload } = await verify(body.id_token as string);
    expect(payload).toMatchObject({ sub: HANAKO.memberId, nonce: 'company-nonce' });
    expect(idp.stats.token).toBe(before + 1);
  });

  it('redeems with client_secret_post too', async () => {
    const { code, verifier } = await login();
    const { status } = await token(
      grant(code, verifier, { client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
    );
    expect(status).toBe(200);
  });

  it('refuses a wrong secret, no authentication, or two methods at once', async () => {
    const { code, verifier } = await login();
    expect(
      await token(grant(code, verifier), { authorization: basic(CLIENT.clientId, 'wrong') }),
    ).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect((await token(grant(code, verifier))).body.error).toBe('invalid_client');
    expect(
      (
        await token(grant(code, verifier, { client_secret: CLIENT.clientSecret }), {
          authorization: basic(CLIENT.clientId, CLIENT.clientSecret),
        })
      ).body.error,
    ).toBe('invalid_request');
  });

  it('enforces single use, PKCE, redirect URI and client binding of codes', async () => {
    const auth = { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) };
    let pair = await login();
    expect((await token(grant(pair.code, pair.verifier), auth)).status).toBe(200);
    expect((await token(grant(pair.code, pair.verifier), auth)).body.error).toBe('invalid_grant');
    pair = await login();
    expect((await token(grant(pair.code, (await pkcePair()).verifier), auth)).body.error).toBe(
      'invalid_grant',
    );
    pair = await login();
    expect(
      (await token(grant(pair.code, pair.verifier, { redirect_uri: 'https://evil.example/cb' }), auth)).body
        .error,
    ).toBe('invalid_grant');
    pair = await login();
    const other = { authorization: basic(OTHER_CLIENT.clientId, OTHER_CLIENT.clientSecret) };
    expect((await token(grant(pair.code, pair.verifier), other)).body.error).toBe('invalid_grant');
  });

  it('lets codes expire after 10 minutes of the injected clock, and dates ID tokens by it', async () => {
    const clock = new ManualClock('2026-11-30T12:00:00.000Z');
    const other = await startCompanyIdpEmulator({ clients: [CLIENT], clock });
    try {
      const redeemAfter = async (seconds: number) => {
        const { verifier, challenge } = await pkcePair();
        const url = authorizeUrl({}, challenge).replace(idp.url, other.url);
        const code = new URL(await decide(url, HANAKO.memberId)).searchParams.get('code')!;
        clock.advance(seconds);
        const res = await fetch(`${other.url}/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic(CLIENT.clientId, CLIENT.clientSecret),
          },
          body: new URLSearchParams(grant(code, verifier)).toString(),
        });
        return (await res.json()) as Record<string, unknown>;
      };
      const inTime = await redeemAfter(600);
      const signedIn = Date.parse('2026-11-30T12:00:00.000Z') / 1000;
      expect(decodeJwt(inTime.id_token as string)).toMatchObject({
        iat: signedIn + 600,
        exp: signedIn + 600 + 3600,
        auth_time: signedIn,
      });
      expect(await redeemAfter(601)).toMatchObject({
        error: 'invalid_grant',
        error_description: 'The authorization code has expired.',
      });
    } finally {
      await other.close();
    }
  });

  it('dispatches on grant_type and refuses unknown grants', async () => {
    const { body } = await token(
      { grant_type: 'password', username: 'x', password: 'y' },
      { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
    );
    expect(body.error).toBe('unsupported_grant_type');
  });

  it('sends iss with every authorization response (RFC 9207) and auth_time in the ID token', async () => {
    const discovery = (await (await fetch(`${idp.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery.authorization_response_iss_parameter_supported).toBe(true);
    const { verifier, challenge } = await pkcePair();
    const allowed = new URL(await decide(authorizeUrl({ max_age: '300' }, challenge), HANAKO.memberId));
    expect(allowed.searchParams.get('iss')).toBe(idp.issuer);
    const cancelled = new URL(await decide(authorizeUrl(), HANAKO.memberId, 'cancel'));
    expect(cancelled.searchParams.get('iss')).toBe(idp.issuer);
    const before = Math.floor(Date.now() / 1000);
    const { body } = await token(grant(allowed.searchParams.get('code')!, verifier), {
      authorization: basic(CLIENT.clientId, CLIENT.clientSecret),
    });
    const { payload } = await verify(body.id_token as string);
    expect(payload.auth_time).toBeGreaterThanOrEqual(before - 5);
    expect(payload.auth_time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    // A malformed max_age is refused; a stale sign-in can be emulated.
    const bad = await openAuthorize(authorizeUrl({ max_age: '-1' }));
    expect(new URL(bad.location!).searchParams.get('error')).toBe('invalid_request');
    idp.setTokenFault('stale-auth-time');
    const pair = await login();
    const stale = await token(grant(pair.code, pair.verifier), {
      authorization: basic(CLIENT.clientId, CLIENT.clientSecret),
    });
    expect(decodeJwt(stale.body.id_token as string).auth_time).toBeLessThan(before - 80_000);
  });

  it('authenticates private_key_jwt with the client’s registered public key, once per jti', async () => {
    const assertion = (claims: Record<string, unknown> = {}, key = keyClientKey, audience = idp.issuer) =>
      new SignJWT({ jti: Math.random().toString(36).slice(2), ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'key-1' })
        .setIssuer(KEY_CLIENT.clientId)
        .setSubject(KEY_CLIENT.clientId)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(key);
    const codeFor = async () => {
      const { verifier, challenge } = await pkcePair();
      const location = new URL(
        await decide(authorizeUrl({ client_id: KEY_CLIENT.clientId }, challenge), HANAKO.memberId),
      );
      return { code: location.searchParams.get('code')!, verifier };
    };
    const form = (code: string, verifier: string, clientAssertion: string) =>
      grant(code, verifier, {
        client_id: KEY_CLIENT.clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion,
      });
    let pair = await codeFor();
    const good = await assertion();
    const ok = await token(form(pair.code, pair.verifier, good));
    expect(ok.status).toBe(200);
    expect(decodeJwt(ok.body.id_token as string).aud).toBe(KEY_CLIENT.clientId);
    // Replayed, signed by another key, for another audience, or with a secret as well: refused.
    pair = await codeFor();
    expect((await token(form(pair.code, pair.verifier, good))).body.error).toBe('invalid_client');
    const stranger = (await generateKeyPair('ES256')).privateKey;
    expect((await token(form(pair.code, pair.verifier, await assertion({}, stranger)))).status).toBe(401);
    expect(
      (
        await token(
          form(pair.code, pair.verifier, await assertion({}, keyClientKey, 'https://elsewhere.example')),
        )
      ).status,
    ).toBe(401);
    expect(
      (
        await token(form(pair.code, pair.verifier, await assertion()), {
          authorization: basic(CLIENT.clientId, CLIENT.clientSecret),
        })
      ).body.error,
    ).toBe('invalid_request');
    // A client without registered keys cannot use it, and a key client has no secret to use.
    expect(
      (await token({ ...grant(pair.code, pair.verifier), client_id: KEY_CLIENT.clientId, client_secret: '' }))
        .status,
    ).toBe(401);
  });

  it('can be made to misbehave for tests', async () => {
    const auth = { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) };
    idp.setTokenFault('wrong-nonce');
    let pair = await login();
    expect(
      decodeJwt((await token(grant(pair.code, pair.verifier), auth)).body.id_token as string).nonce,
    ).not.toBe('company-nonce');
    idp.setTokenFault('no-id-token');
    pair = await login();
    expect((await token(grant(pair.code, pair.verifier), auth)).body).not.toHaveProperty('id_token');
    idp.setTokenFault(null);
    idp.setOutage('token', 'garbage');
    pair = await login();
    const res = await fetch(`${idp.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: new URLSearchParams(grant(pair.code, pair.verifier)).toString(),
    });
    expect(await res.text()).toContain('garbage');
  });
});
