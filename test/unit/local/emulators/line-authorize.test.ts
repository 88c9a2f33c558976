import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  startLinePlatformEmulator,
  type LinePlatformEmulator,
} from '../../../../functions/local/emulators/line-platform-emulator.js';
import { DEFAULT_LINE_USERS } from '../../../../functions/local/emulators/test-identities.js';
import { ManualClock } from '../../../support/member-fakes.js';
import { decide, openAuthorize, pkcePair } from '../../../support/oauth-browser.js';

const CHANNEL = { channelId: '1234567890', channelSecret: 'aaaabbbbccccddddeeeeffff00001111' };
const REGISTERED = {
  channelId: '2000000001',
  channelSecret: '0123456789abcdef0123456789abcdef',
  callbackUrls: ['https://app.example.com/callback'],
};
const CALLBACK = 'https://client.example.com/auth/line/callback';
const SATO = DEFAULT_LINE_USERS[0]!;

let line: LinePlatformEmulator;

beforeAll(async () => {
  line = await startLinePlatformEmulator({ channels: [CHANNEL, REGISTERED], slowMs: 50 });
});

afterAll(async () => {
  await line.close();
});

afterEach(() => {
  line.setOutage('all', null);
  line.setAutoLogin(null);
  line.setTokenFault(null);
});

function authorizeUrl(overrides: Record<string, string | null> = {}, challenge?: string): string {
  const params: Record<string, string | null> = {
    response_type: 'code',
    client_id: CHANNEL.channelId,
    redirect_uri: CALLBACK,
    state: 'abc123state',
    scope: 'openid profile',
    nonce: 'n-0987',
    code_challenge: challenge ?? null,
    code_challenge_method: challenge ? 'S256' : null,
    ...overrides,
  };
  const query = new URLSearchParams(
    Object.entries(params).filter((e): e is [string, string] => e[1] !== null),
  );
  return `${line.url}/oauth2/v2.1/authorize?${query}`;
}

async function token(form: Record<string, string>) {
  const res = await fetch(`${line.url}/oauth2/v2.1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Logs Sato in with PKCE; returns the code and the verifier. */
async function loginWithPkce(overrides: Record<string, string | null> = {}) {
  const { verifier, challenge } = await pkcePair();
  const location = new URL(await decide(authorizeUrl(overrides, challenge), SATO.userId));
  return { code: location.searchParams.get('code')!, verifier, location };
}

function redeemForm(code: string, verifier: string, extra: Record<string, string> = {}) {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: CALLBACK,
    client_id: CHANNEL.channelId,
    client_secret: CHANNEL.channelSecret,
    code_verifier: verifier,
    ...extra,
  };
}

describe('GET /oauth2/v2.1/authorize', () => {
  it('shows a consent page listing the test users, with everything escaped', async () => {
    const page = await openAuthorize(
      authorizeUrl({ redirect_uri: 'https://client.example.com/cb?x="><script>alert(1)</script>' }),
    );
    expect(page.status).toBe(200);
    for (const user of DEFAULT_LINE_USERS) expect(page.html).toContain(user.userId);
    expect(page.html).not.toContain('<script>');
    expect(page.html).toContain('Allow');
    expect(page.html).toContain('Cancel');
  });

  it('refuses an unknown client or an unregistered redirect_uri with a page, never a redirect', async () => {
    expect(await openAuthorize(authorizeUrl({ client_id: '999' }))).toMatchObject({
      status: 400,
      location: null,
    });
    expect(await openAuthorize(authorizeUrl({ redirect_uri: 'not a url' }))).toMatchObject({
      status: 400,
      location: null,
    });
    const unregistered = await openAuthorize(authorizeUrl({ client_id: REGISTERED.channelId }));
    expect(unregistered).toMatchObject({ status: 400, location: null });
    const registered = await openAuthorize(
      authorizeUrl({ client_id: REGISTERED.channelId, redirect_uri: REGISTERED.callbackUrls[0]! }),
    );
    expect(registered.status).toBe(200);
  });

  it.each([
    ['a wrong response_type', { response_type: 'token' }, 'unsupported_response_type'],
    ['no state', { state: null }, 'invalid_request'],
    ['a scope without openid', { scope: 'profile' }, 'invalid_scope'],
    [
      'PKCE with the plain method',
      { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' },
      'invalid_request',
    ],
    ['a malformed challenge', { code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
  ])('redirects back with an error for %s', async (_name, overrides, error) => {
    const page = await openAuthorize(authorizeUrl(overrides));
    expect(page.status).toBe(302);
    const location = new URL(page.location!);
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
    expect(location.searchParams.get('error')).toBe(error);
    expect(location.searchParams.has('code')).toBe(false);
  });

  it('sends the user back with code and state on Allow, and access_denied with state on Cancel', async () => {
    const allowed = new URL(await decide(authorizeUrl(), SATO.userId));
    expect(allowed.searchParams.get('state')).toBe('abc123state');
    expect(allowed.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const cancelled = new URL(await decide(authorizeUrl(), SATO.userId, 'cancel'));
    expect(Object.fromEntries(cancelled.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'The resource owner denied the request.',
      state: 'abc123state',
    });
  });

  it('answers each consent form once', async () => {
    const page = await openAuthorize(authorizeUrl());
    const requestId = /name="request_id" value="([0-9a-f]+)"/.exec(page.html)![1]!;
    const post = () =>
      fetch(`${line.url}/oauth2/v2.1/authorize`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          request_id: requestId,
          subject: SATO.userId,
          decision: 'allow',
        }).toString(),
      });
    expect((await post()).status).toBe(302);
    expect((await post()).status).toBe(400);
  });

  it('emulates auto-login unless disable_auto_login=true or prompt=consent', async () => {
    line.setAutoLogin(SATO.userId);
    const auto = await openAuthorize(authorizeUrl());
    expect(auto.status).toBe(302);
    expect(new URL(auto.location!).searchParams.get('code')).toBeTruthy();
    const disabled = await openAuthorize(authorizeUrl({ disable_auto_login: 'true' }));
    expect(disabled.status).toBe(200);
    expect(disabled.html).toContain('Auto-login is disabled');
    expect((await openAuthorize(authorizeUrl({ prompt: 'consent' }))).status).toBe(200);
  });
});

describe('POST /oauth2/v2.1/token', () => {
  it('redeems a code for LINE tokens with an HS256 ID token signed with the channel secret and the nonce', async () => {
    const before = line.stats.token;
    const { code, verifier } = await loginWithPkce();
    const { status, body } = await token(redeemForm(code, verifier));
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 2592000, scope: 'openid profile' });
    expect(typeof body.access_token).toBe('string');
    expect(typeof body.refresh_token).toBe('string');
    const idToken = body.id_token as string;
    expect(decodeProtectedHeader(idToken)).toEqual({ typ: 'JWT', alg: 'HS256' });
    const { payload } = await jwtVerify(idToken, new TextEncoder().encode(CHANNEL.channelSecret), {
      algorithms: ['HS256'],
      issuer: line.issuer,
      audience: CHANNEL.channelId,
    });
    expect(payload).toMatchObject({ sub: SATO.userId, nonce: 'n-0987', name: SATO.displayName });
    expect(line.stats.token).toBe(before + 1);
    // The access token is a live LINE access token for the user.
    const profile = await fetch(`${line.url}/v2/profile`, {
      headers: { authorization: `Bearer ${body.access_token as string}` },
    });
    expect(((await profile.json()) as { userId: string }).userId).toBe(SATO.userId);
  });

  it('redeems a code once only', async () => {
    const { code, verifier } = await loginWithPkce();
    expect((await token(redeemForm(code, verifier))).status).toBe(200);
    expect(await token(redeemForm(code, verifier))).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: expect.any(String) },
    });
  });

  it('refuses a wrong code_verifier, and the code is burnt afterwards', async () => {
    const { code, verifier } = await loginWithPkce();
    const other = await pkcePair();
    expect((await token(redeemForm(code, other.verifier))).body.error).toBe('invalid_grant');
    expect((await token(redeemForm(code, verifier))).body.error).toBe('invalid_grant');
  });

  it('refuses a missing verifier for a PKCE code, and a verifier for a code without PKCE', async () => {
    const { code } = await loginWithPkce();
    const form: Record<string, string> = redeemForm(code, 'x');
    delete form.code_verifier;
    expect((await token(form)).body.error).toBe('invalid_grant');
    const plain = new URL(await decide(authorizeUrl(), SATO.userId)).searchParams.get('code')!;
    expect((await token(redeemForm(plain, 'a'.repeat(43)))).body.error).toBe('invalid_grant');
  });

  it('refuses another redirect_uri, another channel, a wrong secret and other grant types', async () => {
    let pair = await loginWithPkce();
    expect(
      (await token(redeemForm(pair.code, pair.verifier, { redirect_uri: 'https://evil.example/cb' }))).body
        .error,
    ).toBe('invalid_grant');
    pair = await loginWithPkce();
    const otherChannel = await token(
      redeemForm(pair.code, pair.verifier, {
        client_id: REGISTERED.channelId,
        client_secret: REGISTERED.channelSecret,
      }),
    );
    expect(otherChannel.body.error).toBe('invalid_grant');
    pair = await loginWithPkce();
    expect(await token(redeemForm(pair.code, pair.verifier, { client_secret: 'wrong' }))).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect(
      (await token({ ...redeemForm(pair.code, pair.verifier), grant_type: 'refresh_token' })).body.error,
    ).toBe('unsupported_grant_type');
  });

  it('lets codes expire after 10 minutes of the injected clock, and dates ID tokens by it', async () => {
    const clock = new ManualClock('2026-11-30T12:00:00.000Z');
    const other = await startLinePlatformEmulator({ channels: [CHANNEL], clock });
    try {
      const redeemAfter = async (seconds: number) => {
        const { verifier, challenge } = await pkcePair();
        const url = authorizeUrl({}, challenge).replace(line.url, other.url);
        const code = new URL(await decide(url, SATO.userId)).searchParams.get('code')!;
        clock.advance(seconds);
        const res = await fetch(`${other.url}/oauth2/v2.1/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(redeemForm(code, verifier)).toString(),
        });
        return (await res.json()) as Record<string, unknown>;
      };
      const inTime = await redeemAfter(600);
      expect(decodeJwt(inTime.id_token as string)).toMatchObject({
        iat: Date.parse('2026-11-30T12:10:00.000Z') / 1000,
        exp: Date.parse('2026-11-30T13:10:00.000Z') / 1000,
      });
      expect(await redeemAfter(601)).toMatchObject({
        error: 'invalid_grant',
        error_description: 'The authorization code has expired.',
      });
    } finally {
      await other.close();
    }
  });

  it('can be made to misbehave: wrong secret, wrong nonce, no id_token, outages', async () => {
    line.setTokenFault('wrong-secret');
    let pair = await loginWithPkce();
    const forged = (await token(redeemForm(pair.code, pair.verifier))).body.id_token as string;
    await expect(
      jwtVerify(forged, new TextEncoder().encode(CHANNEL.channelSecret), { algorithms: ['HS256'] }),
    ).rejects.toThrow();
    line.setTokenFault('wrong-nonce');
    pair = await loginWithPkce();
    expect(
      decodeJwt((await token(redeemForm(pair.code, pair.verifier))).body.id_token as string).nonce,
    ).not.toBe('n-0987');
    line.setTokenFault('no-id-token');
    pair = await loginWithPkce();
    expect((await token(redeemForm(pair.code, pair.verifier))).body).not.toHaveProperty('id_token');
    line.setTokenFault(null);
    line.setOutage('token', 'error500');
    pair = await loginWithPkce();
    expect((await token(redeemForm(pair.code, pair.verifier))).status).toBe(500);
  });
});
