import { AuthorizationCodeRejectedError, UpstreamError } from '../../../../functions/core/errors.js';
import type { FetchLike } from '../../../../functions/adapters/http/fetch-with-timeout.js';
import {
  redeemAuthorizationCode,
  type RedeemOptions,
} from '../../../../functions/adapters/http/oauth-token-client.js';

function respond(status: number, body: string, contentType = 'application/json'): FetchLike {
  return async () => new Response(body, { status, headers: { 'content-type': contentType } });
}

function options(fetchImpl: FetchLike, overrides: Partial<RedeemOptions> = {}): RedeemOptions {
  return {
    tokenEndpoint: 'https://idp.test/token',
    code: 'the-code',
    redirectUri: 'https://api.test/auth/company/callback',
    codeVerifier: 'v'.repeat(64),
    auth: { method: 'client_secret_basic', clientId: 'line id+link', clientSecret: 'sec:ret/=' },
    realm: 'company',
    upstream: 'company-idp',
    timeoutMs: 200,
    fetch: fetchImpl,
    ...overrides,
  };
}

describe('redeemAuthorizationCode', () => {
  it('posts the authorization_code grant with PKCE and client_secret_basic (form-urlencoded parts)', async () => {
    let seen: { url: string; init: RequestInit } | undefined;
    const fetchImpl: FetchLike = async (url, init) => {
      seen = { url: String(url), init: init! };
      return new Response(JSON.stringify({ id_token: 'a.b.c', access_token: 'x', token_type: 'Bearer' }), {
        status: 200,
      });
    };
    await expect(redeemAuthorizationCode(options(fetchImpl))).resolves.toBe('a.b.c');
    expect(seen!.url).toBe('https://idp.test/token');
    expect(seen!.init.method).toBe('POST');
    expect(seen!.init.redirect).toBe('error');
    const headers = seen!.init.headers as Record<string, string>;
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    const [user, password] = Buffer.from(headers.authorization!.replace('Basic ', ''), 'base64')
      .toString()
      .split(':');
    expect(user).toBe('line+id%2Blink');
    expect(new URLSearchParams(`p=${password}`).get('p')).toBe('sec:ret/=');
    expect(Object.fromEntries(new URLSearchParams(seen!.init.body as string))).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'https://api.test/auth/company/callback',
      code_verifier: 'v'.repeat(64),
    });
  });

  it('puts the client credentials in the form for client_secret_post (LINE)', async () => {
    let body = '';
    const fetchImpl: FetchLike = async (_url, init) => {
      body = init!.body as string;
      expect((init!.headers as Record<string, string>).authorization).toBeUndefined();
      return new Response(JSON.stringify({ id_token: 'a.b.c' }), { status: 200 });
    };
    await redeemAuthorizationCode(
      options(fetchImpl, { auth: { method: 'client_secret_post', clientId: '123', clientSecret: 's3cret' } }),
    );
    expect(new URLSearchParams(body).get('client_id')).toBe('123');
    expect(new URLSearchParams(body).get('client_secret')).toBe('s3cret');
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
    ['no id_token', respond(200, '{"access_token":"x"}'), 'company-idp-bad-response'],
    ['an empty id_token', respond(200, '{"id_token":""}'), 'company-idp-bad-response'],
    [
      'a huge id_token',
      respond(200, JSON.stringify({ id_token: 'x'.repeat(9000) })),
      'company-idp-bad-response',
    ],
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
});
