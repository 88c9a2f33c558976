import { createHash } from 'node:crypto';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import {
  OTHER_CLIENT,
  SIGNED_OTHER_CLIENT,
  startTestStack,
  TEST_CLIENT_PRIVATE_KEY,
  type TestStack,
} from '../../support/test-stack.js';

/**
 * `POST /links` with `companyAccessToken` (seed 000: the company side proves identity with an
 * access token or an ID token), against the company IdP emulator's opaque access tokens: checked
 * by a signed UserInfo answer (the default) or by RFC 7662 introspection, held to the ID token's
 * rules — issued to our client, unexpired, a fresh sign-in (COMPANY_ID_TOKEN_MAX_AGE_SECONDS,
 * here 300 s), one LINE user per token (bound by its SHA-256, never the token itself).
 */

const MAX_AGE = 300;
const nowSec = () => Math.floor(Date.now() / 1000);
const sha256 = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex')}`;

let seq = 0;
function fresh() {
  seq++;
  return {
    lineUserId: testLineUserId(`access-${seq}-${Date.now()}`),
    memberId: `M-A${seq}-${Date.now()}`,
  };
}

const post = async (stack: TestStack, lineUserId: string, json: unknown) =>
  call(stack.api.url, 'POST', '/links', {
    token: await stack.line.mintIdToken({ userId: lineUserId }),
    json,
  });

/** The link items (either side) of this user and member. */
async function linkItems(stack: TestStack, lineUserId: string, memberId: string) {
  const keys = [`LINE#${lineUserId}`, `COMPANY#${memberId}`];
  return (await stack.scan('links')).filter((i) => keys.includes((i.pk as { S: string }).S));
}

/** Every sessions item's text: the token itself must never be stored. */
const sessionsText = async (stack: TestStack) => JSON.stringify(await stack.scan('sessions'));

/** The refusals every check shares: 401 invalid-company-token as problem+json, nothing written. */
async function expectRefused(stack: TestStack, user: ReturnType<typeof fresh>, token: string) {
  const response = await post(stack, user.lineUserId, { companyAccessToken: token });
  expect(response.status).toBe(401);
  expect(response.body).toMatchObject({ code: 'invalid-company-token' });
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(await linkItems(stack, user.lineUserId, user.memberId)).toEqual([]);
  expect(await sessionsText(stack)).not.toContain(sha256(token).slice(7));
}

describe.each([
  ['userinfo (signed UserInfo answers, the default)', {}],
  ['introspection (client_secret_basic)', { COMPANY_ACCESS_TOKEN_CHECK: 'introspection' }],
  [
    'introspection (private_key_jwt)',
    {
      COMPANY_ACCESS_TOKEN_CHECK: 'introspection',
      COMPANY_OIDC_TOKEN_AUTH_METHOD: 'private_key_jwt',
      COMPANY_OIDC_PRIVATE_KEY: TEST_CLIENT_PRIVATE_KEY,
    },
  ],
] as const)('companyAccessToken checked by %s', (_, settings) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ COMPANY_ID_TOKEN_MAX_AGE_SECONDS: String(MAX_AGE), ...settings });
  });
  afterAll(() => stack.close());

  const endpoint = () =>
    'COMPANY_ACCESS_TOKEN_CHECK' in settings
      ? stack.company.stats.introspection
      : stack.company.stats.userinfo;

  it('a valid token links its subject; the binding is keyed by its hash', async () => {
    const user = fresh();
    const token = stack.company.mintAccessToken({ sub: user.memberId });
    const asked = endpoint();
    const response = await post(stack, user.lineUserId, { companyAccessToken: token });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      lineUserId: user.lineUserId,
      companyUserId: user.memberId,
      method: 'oidc',
    });
    expect(endpoint()).toBe(asked + 1);
    const sessions = await stack.scan('sessions');
    expect(sessions.some((i) => (i.pk as { S: string }).S === `COMPANYTOKEN#${sha256(token)}`)).toBe(true);
    expect(JSON.stringify(sessions)).not.toContain(token);
  });

  it('an expired token: 401', async () => {
    const user = fresh();
    await expectRefused(
      stack,
      user,
      stack.company.mintAccessToken({ sub: user.memberId, expiresInSec: -10 }),
    );
  });

  it('a revoked (inactive) token: 401', async () => {
    const user = fresh();
    const token = stack.company.mintAccessToken({ sub: user.memberId });
    stack.company.revokeAccessToken(token);
    await expectRefused(stack, user, token);
  });

  it.each([
    ['another app of the IdP (plain UserInfo answers)', OTHER_CLIENT.clientId],
    ['another app of the IdP (signed UserInfo answers, its own aud)', SIGNED_OTHER_CLIENT.clientId],
  ])('a token issued to %s: 401 (token substitution)', async (_, clientId) => {
    const user = fresh();
    await expectRefused(stack, user, stack.company.mintAccessToken({ sub: user.memberId, clientId }));
  });

  it('a sign-in older than COMPANY_ID_TOKEN_MAX_AGE_SECONDS: 401', async () => {
    const user = fresh();
    const token = stack.company.mintAccessToken({ sub: user.memberId, authTime: nowSec() - (MAX_AGE + 60) });
    await expectRefused(stack, user, token);
  });

  it('reused: the same LINE user is a retry (200), another LINE user is refused (401 company-token-replayed)', async () => {
    const a = fresh();
    const b = fresh();
    const token = stack.company.mintAccessToken({ sub: a.memberId });
    expect((await post(stack, a.lineUserId, { companyAccessToken: token })).status).toBe(201);
    expect((await post(stack, a.lineUserId, { companyAccessToken: token })).status).toBe(200);
    const replayed = await post(stack, b.lineUserId, { companyAccessToken: token });
    expect(replayed.status).toBe(401);
    expect(replayed.body).toMatchObject({ code: 'company-token-replayed' });
    expect(await linkItems(stack, b.lineUserId, 'none')).toEqual([]);
  });

  it('the IdP down: 503 company-idp-unavailable, nothing written', async () => {
    const user = fresh();
    const token = stack.company.mintAccessToken({ sub: user.memberId });
    stack.company.setOutage('COMPANY_ACCESS_TOKEN_CHECK' in settings ? 'introspection' : 'userinfo', 'down');
    try {
      const response = await post(stack, user.lineUserId, { companyAccessToken: token });
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ code: 'company-idp-unavailable' });
    } finally {
      stack.company.setOutage('all', null);
    }
    expect(await linkItems(stack, user.lineUserId, user.memberId)).toEqual([]);
  });
});

describe('the body names exactly one company token', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it.each([
    ['both', (id: string, access: string) => ({ companyIdToken: id, companyAccessToken: access })],
    ['neither', () => ({ consentVersion: 'v1' })],
  ])('%s: 400 invalid-request, nothing written', async (_, body) => {
    const user = fresh();
    const id = await stack.company.mintIdToken({ sub: user.memberId });
    const access = stack.company.mintAccessToken({ sub: user.memberId });
    const response = await post(stack, user.lineUserId, body(id, access));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid-request' });
    expect(await linkItems(stack, user.lineUserId, user.memberId)).toEqual([]);
  });
});

describe('COMPANY_ACCESS_TOKEN_CHECK=off', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ COMPANY_ACCESS_TOKEN_CHECK: 'off' });
  });
  afterAll(() => stack.close());

  it('refuses access tokens (501 feature-disabled) and still takes ID tokens', async () => {
    const user = fresh();
    const refused = await post(stack, user.lineUserId, {
      companyAccessToken: stack.company.mintAccessToken({ sub: user.memberId }),
    });
    expect(refused.status).toBe(501);
    expect(refused.body).toMatchObject({ code: 'feature-disabled' });
    const idToken = await stack.company.mintIdToken({ sub: user.memberId });
    expect((await post(stack, user.lineUserId, { companyIdToken: idToken })).status).toBe(201);
  });
});
