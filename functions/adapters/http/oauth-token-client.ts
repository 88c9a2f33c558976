import {
  AuthorizationCodeRejectedError,
  UpstreamError,
  type TokenRealm,
  type Upstream,
} from '../../core/errors.js';
import { fetchJson, isObject, type FetchLike } from './fetch-with-timeout.js';

/** How the client authenticates at the token endpoint (OIDC Core 9). */
export type ClientAuthentication =
  | { method: 'client_secret_basic'; clientId: string; clientSecret: string }
  | { method: 'client_secret_post'; clientId: string; clientSecret: string };

/** Options of {@link redeemAuthorizationCode}. */
export interface RedeemOptions {
  tokenEndpoint: string;
  code: string;
  redirectUri: string;
  codeVerifier: string;
  auth: ClientAuthentication;
  realm: TokenRealm;
  upstream: Upstream;
  timeoutMs: number;
  fetch: FetchLike;
}

const MAX_ID_TOKEN_LENGTH = 8192;

/**
 * The authorization-code grant with PKCE (RFC 6749 4.1.3, RFC 7636 4.5), form-encoded, with a
 * hard timeout. Returns the `id_token` of the response; the access and refresh tokens are not
 * kept (the web flow only needs the identity).
 *
 * Fails closed: `invalid_grant` (expired, used, PKCE or redirect URI mismatch) is
 * {@link AuthorizationCodeRejectedError}; a timeout, network error, 429 or 5xx is
 * `UpstreamError(unavailable)`; any other answer — another 4xx (e.g. `invalid_client`: our
 * secret is wrong), a non-JSON body, or no `id_token` — is `UpstreamError(bad-response)`.
 * Nothing of the response body is ever put into an error message.
 */
export async function redeemAuthorizationCode(options: RedeemOptions): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: options.code,
    redirect_uri: options.redirectUri,
    code_verifier: options.codeVerifier,
  });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (options.auth.method === 'client_secret_basic') {
    // RFC 6749 2.3.1: both parts form-urlencoded before base64.
    const user = formEncode(options.auth.clientId);
    const password = formEncode(options.auth.clientSecret);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  } else {
    form.set('client_id', options.auth.clientId);
    form.set('client_secret', options.auth.clientSecret);
  }
  const response = await fetchJson(
    options.fetch,
    options.tokenEndpoint,
    { method: 'POST', headers, body: form.toString() },
    { upstream: options.upstream, timeoutMs: options.timeoutMs },
  );
  const body = response.body;
  if (response.status === 400 && isObject(body) && body.error === 'invalid_grant') {
    throw new AuthorizationCodeRejectedError(options.realm);
  }
  if (response.status >= 500 || response.status === 429)
    throw new UpstreamError(options.upstream, 'unavailable');
  if (response.status !== 200 || !isObject(body)) throw new UpstreamError(options.upstream, 'bad-response');
  const idToken = body.id_token;
  if (typeof idToken !== 'string' || idToken.length === 0 || idToken.length > MAX_ID_TOKEN_LENGTH) {
    throw new UpstreamError(options.upstream, 'bad-response');
  }
  return idToken;
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
