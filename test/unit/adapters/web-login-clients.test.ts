import { generateKeyPair, SignJWT } from 'jose';
import { OidcWebLoginClient } from '../../../functions/adapters/company/oidc-web-login-client.js';
import type { FetchLike } from '../../../functions/adapters/http/fetch-with-timeout.js';
import { LinePlatformClient } from '../../../functions/adapters/line/line-platform-client.js';
import { LineWebLoginClient } from '../../../functions/adapters/line/line-web-login-client.js';

const SECRET = 'channel-secret-0123456789abcdef';
const USER = `U${'a'.repeat(32)}`;
const request = {
  state: 's'.repeat(48),
  nonce: 'n'.repeat(48),
  codeChallenge: 'c'.repeat(43),
  redirectUri: 'https://api.test/auth/line/callback',
};

function lineClient(overrides: Partial<ConstructorParameters<typeof LineWebLoginClient>[0]> = {}) {
  return new LineWebLoginClient({
    channelId: '1234567890',
    authBase: 'https://access.line.test/',
    apiBase: 'https://api.line.test',
    issuer: 'https://access.line.me',
    channelSecret: async () => SECRET,
    platform: new LinePlatformClient({
      channelIds: ['1234567890'],
      loginChannelId: '1234567890',
      apiBase: 'https://api.line.test',
      issuer: 'https://access.line.me',
    }),
    authorizeOptions: { disableAutoLogin: false },
    timeoutMs: 500,
    ...overrides,
  });
}

async function hs256(payload: Record<string, unknown>, secret = SECRET) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: 'https://access.line.me',
    aud: '1234567890',
    sub: USER,
    iat: now,
    exp: now + 600,
    ...payload,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}

describe('LineWebLoginClient', () => {
  it('builds LINE’s authorization URL with state, nonce, PKCE and %20 in the scope', async () => {
    const url = await lineClient().authorizeUrl(request);
    expect(
      url.startsWith(
        'https://access.line.test/oauth2/v2.1/authorize?response_type=code&client_id=1234567890&',
      ),
    ).toBe(true);
    expect(url).toContain('scope=openid%20profile');
    const params = Object.fromEntries(new URL(url).searchParams);
    expect(params).toEqual({
      response_type: 'code',
      client_id: '1234567890',
      redirect_uri: request.redirectUri,
      state: request.state,
      scope: 'openid profile',
      nonce: request.nonce,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
    });
  });

  it('adds the configured optional parameters and disable_auto_login on request', async () => {
    const client = lineClient({
      authorizeOptions: {
        botPrompt: 'aggressive',
        prompt: 'consent',
        uiLocales: 'ja en',
        disableAutoLogin: false,
      },
    });
    const params = new URL(await client.authorizeUrl({ ...request, disableAutoLogin: true })).searchParams;
    expect(params.get('bot_prompt')).toBe('aggressive');
    expect(params.get('prompt')).toBe('consent');
    expect(params.get('ui_locales')).toBe('ja en');
    expect(params.get('disable_auto_login')).toBe('true');
    const always = lineClient({ authorizeOptions: { disableAutoLogin: true } });
    expect(new URL(await always.authorizeUrl(request)).searchParams.get('disable_auto_login')).toBe('true');
  });

  it('redeems at {LINE_API_BASE}/oauth2/v2.1/token with the channel ID and secret in the form', async () => {
    let seen: { url: string; body: URLSearchParams } | undefined;
    const idToken = await hs256({ nonce: 'N1' });
    const fetchImpl: FetchLike = async (url, init) => {
      seen = { url: String(url), body: new URLSearchParams(init!.body as string) };
      return new Response(JSON.stringify({ access_token: 'a', token_type: 'Bearer', id_token: idToken }), {
        status: 200,
      });
    };
    await expect(
      lineClient({ fetch: fetchImpl }).redeemCode({
        code: 'c',
        redirectUri: request.redirectUri,
        codeVerifier: 'v',
        nonce: 'N1',
      }),
    ).resolves.toBe(idToken);
    // The ID token's claims are checked there already: another nonce is refused.
    await expect(
      lineClient({ fetch: fetchImpl }).redeemCode({
        code: 'c',
        redirectUri: request.redirectUri,
        codeVerifier: 'v',
        nonce: 'N2',
      }),
    ).rejects.toMatchObject({ code: 'invalid-line-token' });
    expect(seen!.url).toBe('https://api.line.test/oauth2/v2.1/token');
    expect(Object.fromEntries(seen!.body)).toMatchObject({
      client_id: '1234567890',
      client_secret: SECRET,
      code_verifier: 'v',
    });
  });

  it('verifies the HS256 ID token with the channel secret and the stored nonce', async () => {
    const client = lineClient();
    await expect(client.verifyRedeemedIdToken(await hs256({ nonce: 'N1' }), 'N1')).resolves.toEqual({
      userId: USER,
      channelId: '1234567890',
    });
    await expect(client.verifyRedeemedIdToken(await hs256({ nonce: 'N2' }), 'N1')).rejects.toMatchObject({
      code: 'invalid-line-token',
    });
    await expect(
      client.verifyRedeemedIdToken(await hs256({ nonce: 'N1' }, 'another-secret-0123456789abcdef'), 'N1'),
    ).rejects.toMatchObject({
      code: 'invalid-line-token',
    });
    await expect(client.verifyRedeemedIdToken(await hs256({}), 'N1')).rejects.toMatchObject({
      code: 'invalid-line-token',
    });
    await expect(
      client.verifyRedeemedIdToken(await hs256({ nonce: 'N1', aud: '999' }), 'N1'),
    ).rejects.toMatchObject({
      code: 'invalid-line-token',
    });
  });

  it('accepts from the token endpoint only ID tokens of the login channel, not other listed channels', async () => {
    const client = lineClient({
      channelId: '2222222222',
      platform: new LinePlatformClient({
        channelIds: ['1234567890', '2222222222'],
        loginChannelId: '2222222222',
        apiBase: 'https://api.line.test',
        issuer: 'https://access.line.me',
      }),
    });
    await expect(
      client.verifyRedeemedIdToken(await hs256({ nonce: 'N1', aud: '2222222222' }), 'N1'),
    ).resolves.toEqual({ userId: USER, channelId: '2222222222' });
    await expect(client.verifyRedeemedIdToken(await hs256({ nonce: 'N1' }), 'N1')).rejects.toMatchObject({
      code: 'invalid-line-token',
    });
    const url = new URL(
      await client.authorizeUrl({ state: 's', nonce: 'n', codeChallenge: 'c', redirectUri: 'https://x/cb' }),
    );
    expect(url.searchParams.get('client_id')).toBe('2222222222');
  });
});

describe('OidcWebLoginClient', () => {
  const discovery = {
    issuer: 'https://idp.test',
    jwksUri: 'https://idp.test/jwks',
    authorizationEndpoint: 'https://idp.test/authorize?tenant=acme',
    tokenEndpoint: 'https://idp.test/token',
    algorithms: ['RS256'],
    server: {
      issuer: 'https://idp.test',
      authorization_endpoint: 'https://idp.test/authorize?tenant=acme',
      token_endpoint: 'https://idp.test/token',
      id_token_signing_alg_values_supported: ['RS256'],
    },
  };

  function companyClient(
    verifier: Partial<{
      getDiscovery: () => Promise<typeof discovery>;
      verifyIdToken: (t: string, o?: { nonce?: string; maxAge?: number }) => Promise<{ userId: string }>;
    }> = {},
    fetchImpl?: FetchLike,
    maxAge?: number,
  ) {
    return new OidcWebLoginClient({
      clientId: 'line-id-link',
      clientAuthentication: async () => ({ method: 'client_secret_basic', clientSecret: 'secret' }),
      scope: 'openid profile',
      maxAge,
      verifier: {
        getDiscovery: async () => discovery,
        verifyIdToken: async () => ({ userId: 'M-1' }),
        ...verifier,
      },
      timeoutMs: 500,
      fetch: fetchImpl,
    });
  }

  it('uses the discovery endpoints, keeping a query the authorization endpoint already has', async () => {
    const url = new URL(
      await companyClient().authorizeUrl({
        ...request,
        redirectUri: 'https://api.test/auth/company/callback',
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe('https://idp.test/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      tenant: 'acme',
      response_type: 'code',
      client_id: 'line-id-link',
      scope: 'openid profile',
      code_challenge_method: 'S256',
    });
  });

  it('refuses an IdP whose discovery has no authorization or token endpoint', async () => {
    const bare = companyClient({
      getDiscovery: async () => ({
        ...discovery,
        authorizationEndpoint: undefined as unknown as string,
        tokenEndpoint: undefined as unknown as string,
      }),
    });
    await expect(bare.authorizeUrl(request)).rejects.toMatchObject({ code: 'company-idp-bad-response' });
    await expect(
      bare.redeemCode({ code: 'c', redirectUri: 'r', codeVerifier: 'v', nonce: 'n' }),
    ).rejects.toMatchObject({
      code: 'company-idp-bad-response',
    });
  });

  it('passes the stored nonce and COMPANY_OIDC_MAX_AGE to the verifier, and sends max_age', async () => {
    const seen: Array<{ nonce?: string; maxAge?: number } | undefined> = [];
    const client = companyClient(
      { verifyIdToken: async (_t, o) => (seen.push(o), { userId: 'M-1' }) },
      undefined,
      300,
    );
    await expect(client.verifyRedeemedIdToken('t', 'the-nonce')).resolves.toEqual({ userId: 'M-1' });
    expect(seen).toEqual([{ nonce: 'the-nonce', maxAge: 300 }]);
    expect(new URL(await client.authorizeUrl(request)).searchParams.get('max_age')).toBe('300');
    expect(new URL(await companyClient().authorizeUrl(request)).searchParams.has('max_age')).toBe(false);
  });

  it('redeems with client_secret_basic at the discovered token endpoint', async () => {
    let seen: { url: string; auth?: string } | undefined;
    const now = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT({
      iss: 'https://idp.test',
      aud: 'line-id-link',
      sub: 'M-1',
      iat: now,
      exp: now + 600,
      nonce: 'n',
    })
      .setProtectedHeader({ alg: 'RS256' })
      .sign((await generateKeyPair('RS256')).privateKey);
    const fetchImpl: FetchLike = async (url, init) => {
      seen = { url: String(url), auth: new Headers(init!.headers).get('authorization') ?? undefined };
      return new Response(JSON.stringify({ access_token: 'a', token_type: 'Bearer', id_token: idToken }), {
        status: 200,
      });
    };
    await expect(
      companyClient({}, fetchImpl).redeemCode({ code: 'c', redirectUri: 'r', codeVerifier: 'v', nonce: 'n' }),
    ).resolves.toBe(idToken);
    expect(seen!.url).toBe('https://idp.test/token');
    // RFC 6749 2.3.1: each part form-urlencoded (oauth4webapi also escapes `-`), then Basic.
    const basic = Buffer.from(seen!.auth!.replace(/^Basic /, ''), 'base64').toString();
    expect(basic.split(':').map((part) => decodeURIComponent(part))).toEqual(['line-id-link', 'secret']);
  });
});
