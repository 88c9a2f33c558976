import {
  startCompanyIdpEmulator,
  type CompanyIdpEmulator,
} from '../../../../functions/local/emulators/company-idp-emulator.js';
import { DEFAULT_COMPANY_API_KEY } from '../../../../functions/local/emulators/member-verification-api.js';
import { DEFAULT_COMPANY_MEMBERS } from '../../../../functions/local/emulators/test-identities.js';
import { ManualClock } from '../../../support/member-fakes.js';

const CLIENT = { clientId: 'line-id-link', clientSecret: 'company-client-secret' };
const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!;

let idp: CompanyIdpEmulator;
beforeAll(async () => {
  idp = await startCompanyIdpEmulator({ clients: [CLIENT], slowMs: 50 });
});
afterAll(() => idp.close());
afterEach(() => idp.setOutage('all', null));

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function clientCredentials(auth: 'basic' | 'post' = 'basic', secret = CLIENT.clientSecret) {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'basic') headers.authorization = basic(CLIENT.clientId, secret);
  else {
    form.set('client_id', CLIENT.clientId);
    form.set('client_secret', secret);
  }
  const res = await fetch(`${idp.url}/token`, { method: 'POST', headers, body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function verify(body: unknown, headers: Record<string, string>) {
  const res = await fetch(`${idp.url}/api/members/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined,
  };
}

const RIGHT = {
  memberId: HANAKO.memberId,
  factors: { birthDate: HANAKO.birthDate, postalCode: HANAKO.postalCode },
};

describe('member verification API of the company IdP emulator', () => {
  test('client_credentials (basic or post) gives a Bearer token that the API accepts', async () => {
    for (const auth of ['basic', 'post'] as const) {
      const token = await clientCredentials(auth);
      expect(token).toEqual({
        status: 200,
        body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 },
      });
      const ok = await verify(RIGHT, { authorization: `Bearer ${token.body.access_token}` });
      expect(ok).toEqual({ status: 200, body: { verified: true, companyUserId: HANAKO.memberId } });
    }
  });

  test('access tokens expire after expires_in seconds of the injected clock', async () => {
    const clock = new ManualClock('2026-11-30T12:00:00.000Z');
    const other = await startCompanyIdpEmulator({ clients: [CLIENT], clock, apiTokenTtlSec: 300 });
    try {
      const res = await fetch(`${other.url}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(CLIENT.clientId, CLIENT.clientSecret),
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      const { access_token: token, expires_in: expiresIn } = (await res.json()) as Record<string, unknown>;
      expect(expiresIn).toBe(300);
      const call = async () =>
        (
          await fetch(`${other.url}/api/members/verify`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${String(token)}` },
            body: JSON.stringify(RIGHT),
          })
        ).status;
      clock.advance(299);
      expect(await call()).toBe(200);
      clock.advance(1);
      expect(await call()).toBe(401);
    } finally {
      await other.close();
    }
  });

  test('a wrong secret gets no token', async () => {
    expect((await clientCredentials('basic', 'wrong')).status).toBe(401);
  });

  test('answers verified: false for a wrong factor or an unknown member, and needs exact (normalized) values', async () => {
    const auth = { 'x-api-key': DEFAULT_COMPANY_API_KEY };
    expect(
      (await verify({ ...RIGHT, factors: { ...RIGHT.factors, birthDate: '1990-04-13' } }, auth)).body,
    ).toEqual({ verified: false });
    expect((await verify({ ...RIGHT, memberId: 'M-999999' }, auth)).body).toEqual({ verified: false });
    expect((await verify({ ...RIGHT, factors: { postalCode: '100-0001' } }, auth)).body).toEqual({
      verified: false,
    });
    expect((await verify({ ...RIGHT, factors: { phone: HANAKO.phone } }, auth)).body).toMatchObject({
      verified: true,
    });
  });

  test('refuses requests without valid credentials or with a malformed body', async () => {
    expect((await verify(RIGHT, {})).status).toBe(401);
    expect((await verify(RIGHT, { 'x-api-key': 'nope' })).status).toBe(401);
    expect((await verify(RIGHT, { authorization: 'Bearer made-up' })).status).toBe(401);
    const auth = { 'x-api-key': DEFAULT_COMPANY_API_KEY };
    expect((await verify({ memberId: 1, factors: {} }, auth)).status).toBe(400);
    expect((await verify({ memberId: 'M-1', factors: {} }, auth)).status).toBe(400);
    expect((await verify({ memberId: 'M-1', factors: { shoeSize: '42' } }, auth)).status).toBe(400);
  });

  test('revoked tokens are refused', async () => {
    const { body } = await clientCredentials();
    idp.revokeApiTokens();
    expect((await verify(RIGHT, { authorization: `Bearer ${body.access_token}` })).status).toBe(401);
  });

  test('counts calls and misbehaves on demand (members endpoint)', async () => {
    const auth = { 'x-api-key': DEFAULT_COMPANY_API_KEY };
    const before = idp.stats.members;
    await verify(RIGHT, auth);
    expect(idp.stats.members).toBe(before + 1);
    idp.setOutage('members', 'error500');
    expect((await verify(RIGHT, auth)).status).toBe(500);
    idp.setOutage('members', 'garbage');
    expect(await verify(RIGHT, auth)).toEqual({ status: 200, body: undefined });
    idp.setOutage('members', 'down');
    await expect(verify(RIGHT, auth)).rejects.toThrow();
    idp.setOutage('members', 'slow');
    const started = Date.now();
    expect((await verify(RIGHT, auth)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});
