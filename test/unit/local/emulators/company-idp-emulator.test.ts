import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import {
  startCompanyIdpEmulator,
  type CompanyIdpEmulator,
} from '../../../../functions/local/emulators/company-idp-emulator.js';
import { DEFAULT_COMPANY_MEMBERS } from '../../../../functions/local/emulators/test-identities.js';

const CLIENT = { clientId: 'line-id-link', clientSecret: 'company-client-secret' };
const OTHER_CLIENT = { clientId: 'other-app', clientSecret: 'other-secret' };
const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!;

let idp: CompanyIdpEmulator;

beforeAll(async () => {
  idp = await startCompanyIdpEmulator({ clients: [CLIENT, OTHER_CLIENT], slowMs: 50 });
});

afterAll(async () => {
  await idp.close();
});

afterEach(() => {
  idp.setOutage('all', null);
});

async function getJson<T = Record<string, unknown>>(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(`${idp.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

async function fetchJwks(): Promise<JSONWebKeySet> {
  return (await getJson<JSONWebKeySet>('/jwks')).body;
}

async function verify(token: string, audience = CLIENT.clientId) {
  return jwtVerify(token, createLocalJWKSet(await fetchJwks()), {
    issuer: idp.issuer,
    audience,
    algorithms: ['RS256', 'ES256'],
  });
}

describe('test identities', () => {
  it('has six members with Japanese-style data', () => {
    expect(DEFAULT_COMPANY_MEMBERS).toHaveLength(6);
    for (const m of DEFAULT_COMPANY_MEMBERS) {
      expect(m.memberId).toMatch(/^M-\d{6}$/);
      expect(m.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(Number.isNaN(Date.parse(`${m.birthDate}T00:00:00Z`))).toBe(false);
      expect(m.postalCode).toMatch(/^\d{7}$/);
      expect(m.phone).toMatch(/^0\d{9,10}$/);
      expect(m.email).toMatch(/@example\.com$/);
    }
    expect(new Set(DEFAULT_COMPANY_MEMBERS.map((m) => m.memberId)).size).toBe(6);
    expect(Object.isFrozen(DEFAULT_COMPANY_MEMBERS)).toBe(true);
    expect(idp.members).toEqual(DEFAULT_COMPANY_MEMBERS);
  });
});

describe('discovery and JWKS', () => {
  it('serves the OpenID configuration', async () => {
    const { status, body } = await getJson('/.well-known/openid-configuration');
    expect(status).toBe(200);
    expect(body).toEqual({
      issuer: idp.issuer,
      authorization_endpoint: `${idp.url}/authorize`,
      token_endpoint: `${idp.url}/token`,
      jwks_uri: `${idp.url}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'name', 'email'],
      grant_types_supported: ['authorization_code', 'client_credentials'],
      userinfo_endpoint: `${idp.url}/userinfo`,
      userinfo_signing_alg_values_supported: ['RS256', 'ES256'],
      introspection_endpoint: `${idp.url}/introspect`,
      introspection_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      introspection_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'],
    });
    expect(idp.issuer).toBe(idp.url);
  });

  it('serves one RSA and one EC public key, each with kid, alg and use', async () => {
    const { keys } = await fetchJwks();
    expect(keys).toHaveLength(2);
    const rsa = keys.find((k) => k.kty === 'RSA')!;
    const ec = keys.find((k) => k.kty === 'EC')!;
    expect(rsa).toMatchObject({
      alg: 'RS256',
      use: 'sig',
      kid: expect.any(String),
      n: expect.any(String),
      e: 'AQAB',
    });
    expect(ec).toMatchObject({ alg: 'ES256', use: 'sig', crv: 'P-256', kid: expect.any(String) });
    expect(rsa.kid).not.toBe(ec.kid);
    for (const key of keys) expect(key).not.toHaveProperty('d');
  });
});

describe('mintIdToken', () => {
  it.each(['RS256', 'ES256'] as const)('mints %s tokens that verify against the JWKS', async (alg) => {
    const token = await idp.mintIdToken({ sub: HANAKO.memberId, alg, nonce: 'n1' });
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg, typ: 'JWT', kid: expect.any(String) });
    const { payload, protectedHeader } = await verify(token);
    expect(protectedHeader.alg).toBe(alg);
    expect(payload).toEqual({
      iss: idp.issuer,
      sub: HANAKO.memberId,
      aud: CLIENT.clientId,
      exp: payload.iat! + 3600,
      iat: expect.any(Number),
      jti: expect.any(String),
      nonce: 'n1',
      name: HANAKO.name,
      email: HANAKO.email,
    });
  });

  it('gives each token its own jti unless told one, or none', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => idp.mintIdToken({ sub: HANAKO.memberId })));
    expect(decodeJwt(a!).jti).not.toBe(decodeJwt(b!).jti);
    expect(decodeJwt(await idp.mintIdToken({ sub: HANAKO.memberId, jti: 'j-1' })).jti).toBe('j-1');
    expect(decodeJwt(await idp.mintIdToken({ sub: HANAKO.memberId, jti: null }))).not.toHaveProperty('jti');
  });

  it('defaults to RS256 and the first client', async () => {
    const token = await idp.mintIdToken({ sub: HANAKO.memberId });
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    expect(decodeJwt(token).aud).toBe(CLIENT.clientId);
    expect(decodeJwt(token)).not.toHaveProperty('nonce');
  });

  it('supports other clients, extra audiences and azp', async () => {
    const token = await idp.mintIdToken({
      sub: HANAKO.memberId,
      clientId: OTHER_CLIENT.clientId,
      extraAudiences: ['someone-else'],
      azp: OTHER_CLIENT.clientId,
    });
    const { payload } = await verify(token, OTHER_CLIENT.clientId);
    expect(payload.aud).toEqual([OTHER_CLIENT.clientId, 'someone-else']);
    expect(payload.azp).toBe(OTHER_CLIENT.clientId);
    await expect(verify(token, CLIENT.clientId)).rejects.toHaveProperty(
      'code',
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
    );
  });

  it('can mint expired, future-dated and wrong-issuer tokens', async () => {
    const expired = await idp.mintIdToken({ sub: HANAKO.memberId, expiresInSec: -10 });
    await expect(verify(expired)).rejects.toHaveProperty('code', 'ERR_JWT_EXPIRED');

    const issuedAt = new Date('2031-05-01T00:00:00Z');
    const future = decodeJwt(await idp.mintIdToken({ sub: HANAKO.memberId, issuedAt, expiresInSec: 120 }));
    expect(future.iat).toBe(issuedAt.getTime() / 1000);
    expect(future.exp).toBe(issuedAt.getTime() / 1000 + 120);

    const wrongIssuer = await idp.mintIdToken({ sub: HANAKO.memberId, issuer: 'https://evil.example' });
    await expect(verify(wrongIssuer)).rejects.toHaveProperty('code', 'ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('mints for unknown subjects without profile claims', async () => {
    const payload = decodeJwt(await idp.mintIdToken({ sub: 'M-999999' }));
    expect(payload.sub).toBe('M-999999');
    expect(payload).not.toHaveProperty('name');
    expect(payload).not.toHaveProperty('email');
  });
});

describe('rotateKeys', () => {
  it('replaces both keys; old tokens stop verifying', async () => {
    const before = (await fetchJwks()).keys.map((k) => k.kid);
    const oldRsa = await idp.mintIdToken({ sub: HANAKO.memberId, alg: 'RS256' });
    const oldEc = await idp.mintIdToken({ sub: HANAKO.memberId, alg: 'ES256' });
    await idp.rotateKeys();
    const after = (await fetchJwks()).keys.map((k) => k.kid);
    expect(after).toHaveLength(2);
    for (const kid of after) expect(before).not.toContain(kid);
    await expect(verify(oldRsa)).rejects.toThrow();
    await expect(verify(oldEc)).rejects.toThrow();
    await expect(
      verify(await idp.mintIdToken({ sub: HANAKO.memberId, alg: 'ES256' })),
    ).resolves.toBeDefined();
  });
});

describe('outages and stats', () => {
  it('counts discovery and JWKS requests, not /_emulator ones', async () => {
    const before = { ...idp.stats };
    await getJson('/.well-known/openid-configuration');
    await fetchJwks();
    await fetchJwks();
    await getJson('/_emulator/members');
    expect(idp.stats).toEqual({
      discovery: before.discovery + 1,
      jwks: before.jwks + 2,
      token: before.token,
      members: before.members,
      introspection: before.introspection,
      userinfo: before.userinfo,
    });
  });

  it("'down' drops the connection", async () => {
    idp.setOutage('jwks', 'down');
    await expect(fetch(`${idp.url}/jwks`)).rejects.toThrow();
    expect((await fetch(`${idp.url}/.well-known/openid-configuration`)).status).toBe(200);
  });

  it("'garbage' answers 200 with a body that is not JSON", async () => {
    idp.setOutage('discovery', 'garbage');
    const res = await fetch(`${idp.url}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toHaveProperty('name', 'SyntaxError');
  });

  it("'error500' and 'slow' on every endpoint with 'all'", async () => {
    idp.setOutage('all', 'error500');
    expect((await fetch(`${idp.url}/jwks`)).status).toBe(500);
    expect((await fetch(`${idp.url}/.well-known/openid-configuration`)).status).toBe(500);
    expect((await fetch(`${idp.url}/_emulator/members`)).status).toBe(200);

    idp.setOutage('all', 'slow');
    const started = Date.now();
    expect((await fetch(`${idp.url}/jwks`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);

    idp.setOutage('all', null);
    expect((await fetch(`${idp.url}/jwks`)).status).toBe(200);
  });
});

describe('/_emulator endpoints', () => {
  it('lists members with CORS open', async () => {
    const { status, body, headers } = await getJson('/_emulator/members', {
      headers: { origin: 'http://localhost:3000' },
    });
    expect(status).toBe(200);
    expect(headers.get('access-control-allow-origin')).toBe('*');
    expect(body.members).toEqual(idp.members);
  });

  it('answers a CORS preflight', async () => {
    const res = await fetch(`${idp.url}/_emulator/tokens`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  async function postToken(body: unknown) {
    return getJson('/_emulator/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  it('mints verifiable tokens for members', async () => {
    const { status, body } = await postToken({ sub: HANAKO.memberId, alg: 'ES256', nonce: 'x' });
    expect(status).toBe(200);
    const { payload, protectedHeader } = await verify(body.token as string);
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.sub).toBe(HANAKO.memberId);
    expect(payload.nonce).toBe('x');

    const other = await postToken({ sub: HANAKO.memberId, clientId: OTHER_CLIENT.clientId });
    expect(decodeJwt(other.body.token as string).aud).toBe(OTHER_CLIENT.clientId);
  });

  it('rejects unknown members, clients and algorithms', async () => {
    for (const body of [
      { sub: 'M-999999' },
      { sub: HANAKO.memberId, clientId: 'nope' },
      { sub: HANAKO.memberId, alg: 'HS256' },
      {},
      'M-100001',
    ]) {
      const res = await postToken(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
  });
});

describe('options', () => {
  it('uses the given members and issuer', async () => {
    const other = await startCompanyIdpEmulator({
      clients: [CLIENT],
      members: [HANAKO],
      issuer: 'https://idp.example.com',
    });
    try {
      expect(other.members).toEqual([HANAKO]);
      expect(other.issuer).toBe('https://idp.example.com');
      const discovery = (await (await fetch(`${other.url}/.well-known/openid-configuration`)).json()) as {
        issuer: string;
        jwks_uri: string;
      };
      expect(discovery).toMatchObject({ issuer: 'https://idp.example.com', jwks_uri: `${other.url}/jwks` });
      expect(decodeJwt(await other.mintIdToken({ sub: HANAKO.memberId })).iss).toBe(
        'https://idp.example.com',
      );
    } finally {
      await other.close();
    }
  });

  it('requires a client', async () => {
    await expect(startCompanyIdpEmulator({ clients: [] })).rejects.toThrow(/client/);
  });
});
