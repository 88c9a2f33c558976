import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import {
  startCompanyIdpEmulator,
  type CompanyIdpEmulator,
} from '../../../../functions/local/emulators/company-idp-emulator.js';
import { DEFAULT_COMPANY_MEMBERS } from '../../../../functions/local/emulators/test-identities.js';

/**
 * The company IdP emulator's opaque access tokens: RFC 7662 introspection (client authentication
 * required, `{"active": false}` and nothing else for a token it does not vouch for) and OIDC
 * Core 5.3 UserInfo (401 with `WWW-Authenticate`; JSON, or a signed JWT with `iss` and `aud` for
 * a client registered with a signing algorithm), as a real IdP answers them.
 */

const PLAIN = { clientId: 'plain-app', clientSecret: 'plain-secret' };
const SIGNED = {
  clientId: 'signed-app',
  clientSecret: 'signed-secret',
  userinfoSignedResponseAlg: 'ES256' as const,
};
const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!;

let idp: CompanyIdpEmulator;
beforeAll(async () => {
  idp = await startCompanyIdpEmulator({ clients: [SIGNED, PLAIN] });
});
afterAll(() => idp.close());

const basic = (c: { clientId: string; clientSecret: string }) =>
  `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;
const introspect = (token: string, authorization?: string) =>
  fetch(`${idp.url}/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(authorization ? { authorization } : {}),
    },
    body: new URLSearchParams({ token }),
  });
const userinfo = (token: string) =>
  fetch(`${idp.url}/userinfo`, { headers: { authorization: `Bearer ${token}` } });

describe('POST /introspect', () => {
  it("describes a live token: active, its client, subject, times and the sign-in's auth_time", async () => {
    const token = idp.mintAccessToken({
      sub: HANAKO.memberId,
      clientId: PLAIN.clientId,
      authTime: 1_700_000_000,
    });
    const res = await introspect(token, basic(SIGNED));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      active: true,
      client_id: PLAIN.clientId,
      sub: HANAKO.memberId,
      token_type: 'Bearer',
      iss: idp.issuer,
      auth_time: 1_700_000_000,
    });
    expect(body.exp).toBe((body.iat as number) + 3600);
  });

  it('says only active: false for an unknown, expired or revoked token', async () => {
    const revoked = idp.mintAccessToken({ sub: HANAKO.memberId });
    idp.revokeAccessToken(revoked);
    for (const token of [
      'never-issued',
      idp.mintAccessToken({ sub: HANAKO.memberId, expiresInSec: 0 }),
      revoked,
    ]) {
      expect(await (await introspect(token, basic(PLAIN))).json()).toEqual({ active: false });
    }
  });

  it('requires client authentication', async () => {
    const token = idp.mintAccessToken({ sub: HANAKO.memberId });
    expect((await introspect(token)).status).toBe(401);
    expect((await introspect(token, basic({ ...PLAIN, clientSecret: 'wrong' }))).status).toBe(401);
    expect(idp.stats.introspection).toBeGreaterThan(0);
  });
});

describe('GET /userinfo', () => {
  it('answers plain JSON for a client without a signing algorithm', async () => {
    const res = await userinfo(idp.mintAccessToken({ sub: HANAKO.memberId, clientId: PLAIN.clientId }));
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ sub: HANAKO.memberId, name: HANAKO.name, email: HANAKO.email });
  });

  it('answers a JWT signed with the registered algorithm, with iss, aud and auth_time', async () => {
    const token = idp.mintAccessToken({
      sub: HANAKO.memberId,
      clientId: SIGNED.clientId,
      authTime: 1_700_000_000,
    });
    const res = await userinfo(token);
    expect(res.headers.get('content-type')).toBe('application/jwt');
    const jwks = (await (await fetch(`${idp.url}/jwks`)).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(await res.text(), createLocalJWKSet(jwks), {
      issuer: idp.issuer,
      audience: SIGNED.clientId,
      algorithms: ['ES256'],
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ sub: HANAKO.memberId, auth_time: 1_700_000_000 });
  });

  it('refuses an unknown or expired token: 401 with WWW-Authenticate invalid_token', async () => {
    for (const token of ['never-issued', idp.mintAccessToken({ sub: HANAKO.memberId, expiresInSec: -1 })]) {
      const res = await userinfo(token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    }
  });
});
