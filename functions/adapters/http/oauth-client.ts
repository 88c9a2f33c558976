import { createPrivateKey } from 'node:crypto';
import { calculateJwkThumbprint, importJWK, importPKCS8, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import {
  AuthorizationCodeRejectedError,
  InvalidTokenError,
  UpstreamError,
  type TokenRealm,
  type Upstream,
} from '../../core/errors.js';
import { isLoopbackHost } from '../../manifest/config-schema.js';
import type { FetchLike } from './fetch-with-timeout.js';

/**
 * The service's OAuth 2.0 / OpenID Connect client protocol, on panva's `oauth4webapi`:
 * discovery, the authorization-code grant with PKCE, the RFC 9207 `iss` check of authorization
 * responses, the ID token claim checks of the token response (iss, aud, azp, exp, iat, nonce,
 * auth_time against max_age), the client-credentials grant, and client authentication by
 * `client_secret_basic`, `client_secret_post` or `private_key_jwt` (RFC 7523).
 *
 * Every call goes through the adapter's `fetch` (the `customFetch` seam: emulators and tests
 * stand in for the servers) with a hard timeout, and plain http is allowed only to a loopback
 * host (local runs against the emulators). Failures are translated into the domain's errors,
 * failing closed, and nothing of a response body ever goes into an error message.
 */

/** How the client authenticates at a token endpoint. */
export type ClientAuthentication =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientSecret: string }
  | { method: 'private_key_jwt'; privateKey: oauth.PrivateKey };

/** What every request needs: whose protocol (for errors), the fetch seam and the timeout. */
export interface OAuthTransport {
  upstream: Upstream;
  fetch: FetchLike;
  timeoutMs: number;
}

/** Longest ID token accepted from a token endpoint. */
const MAX_ID_TOKEN_LENGTH = 8192;

/** oauth4webapi's request options for `url`: our fetch, the timeout, http only on loopback. */
export function requestOptions(url: string | URL, transport: OAuthTransport) {
  const target = new URL(url);
  return {
    [oauth.customFetch]: (input: string, init: RequestInit) => transport.fetch(input, init),
    [oauth.allowInsecureRequests]: target.protocol === 'http:' && isLoopbackHost(target.hostname),
    signal: AbortSignal.timeout(transport.timeoutMs),
  };
}

/** oauth4webapi's client authentication for `auth`. */
export function clientAuth(auth: ClientAuthentication): oauth.ClientAuth {
  switch (auth.method) {
    case 'client_secret_basic':
      return oauth.ClientSecretBasic(auth.clientSecret);
    case 'client_secret_post':
      return oauth.ClientSecretPost(auth.clientSecret);
    case 'private_key_jwt':
      return oauth.PrivateKeyJwt(auth.privateKey);
  }
}

/**
 * OpenID Connect Discovery (`{issuer}/.well-known/openid-configuration`); the document's
 * `issuer` must equal the configured one exactly (OIDC Discovery 4.3).
 */
export async function discover(
  issuer: string,
  transport: OAuthTransport,
): Promise<oauth.AuthorizationServer> {
  const issuerUrl = new URL(issuer);
  let response: Response;
  try {
    response = await oauth.discoveryRequest(issuerUrl, {
      ...requestOptions(issuerUrl, transport),
      algorithm: 'oidc',
    });
  } catch (error) {
    throw translate(error, transport.upstream);
  }
  if (response.status >= 500 || response.status === 429)
    throw new UpstreamError(transport.upstream, 'unavailable');
  try {
    return await oauth.processDiscoveryResponse(issuerUrl, response);
  } catch (error) {
    throw translate(error, transport.upstream);
  }
}

/** Options of {@link redeemAuthorizationCode}. */
export interface RedeemOptions extends OAuthTransport {
  as: oauth.AuthorizationServer;
  clientId: string;
  auth: ClientAuthentication;
  /** The authorization response's parameters: `code`, and `iss` when the server sent one. */
  callback: { code: string; iss?: string };
  redirectUri: string;
  codeVerifier: string;
  /** The nonce of the authorization request; the ID token must carry it. */
  nonce: string;
  /** `max_age` sent in the authorization request: `auth_time` must be present and recent enough. */
  maxAge?: number;
  realm: TokenRealm;
  /** The service's clock, so tests that freeze it see the same time here. */
  now?: () => Date;
}

/**
 * The authorization-code grant with PKCE (RFC 6749 4.1.3, RFC 7636 4.5), after checking the
 * authorization response's `iss` (RFC 9207 2.4: required when the server's metadata says it
 * sends one, compared exactly when present). Returns the ID token whose claims oauth4webapi
 * checked (its signature is left to the caller's jose verification, which knows the keys).
 *
 * Fails closed: a wrong `iss` or a claim that does not hold (nonce, audience, auth_time…) is
 * InvalidTokenError; `invalid_grant` is AuthorizationCodeRejectedError; a timeout, network
 * error, 429 or 5xx is UpstreamError(unavailable); anything else — another 4xx (e.g.
 * `invalid_client`), a non-JSON body, no `id_token` — is UpstreamError(bad-response).
 */
export async function redeemAuthorizationCode(options: RedeemOptions): Promise<string> {
  const client = oauthClient(options.clientId, options.now);
  const parameters = new URLSearchParams({ code: options.callback.code });
  if (options.callback.iss !== undefined) parameters.set('iss', options.callback.iss);
  let validated: URLSearchParams;
  try {
    validated = oauth.validateAuthResponse(options.as, client, parameters, oauth.skipStateCheck);
  } catch {
    throw new InvalidTokenError(options.realm, 'authorization response iss is not the issuer');
  }
  let response: Response;
  try {
    response = await oauth.authorizationCodeGrantRequest(
      options.as,
      client,
      clientAuth(options.auth),
      validated,
      options.redirectUri,
      options.codeVerifier,
      requestOptions(tokenEndpoint(options.as, options.upstream), options),
    );
  } catch (error) {
    throw translate(error, options.upstream);
  }
  if (response.status >= 500 || response.status === 429)
    throw new UpstreamError(options.upstream, 'unavailable');
  let result: oauth.TokenEndpointResponse;
  try {
    result = await oauth.processAuthorizationCodeResponse(options.as, client, response, {
      expectedNonce: options.nonce,
      maxAge: options.maxAge ?? oauth.skipAuthTimeCheck,
      requireIdToken: true,
    });
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant')
      throw new AuthorizationCodeRejectedError(options.realm);
    if (isClaimCheck(error)) throw new InvalidTokenError(options.realm, 'ID token claims do not hold');
    throw translate(error, options.upstream);
  }
  const idToken = result.id_token;
  if (typeof idToken !== 'string' || idToken.length === 0 || idToken.length > MAX_ID_TOKEN_LENGTH)
    throw new UpstreamError(options.upstream, 'bad-response');
  return idToken;
}

/** Options of {@link clientCredentialsToken}. */
export interface ClientCredentialsOptions extends OAuthTransport {
  tokenEndpoint: string;
  clientId: string;
  auth: ClientAuthentication;
  scope?: string;
}

/**
 * The client-credentials grant (RFC 6749 4.4): a Bearer access token and its lifetime in
 * seconds (undefined when the server does not say). Errors as {@link redeemAuthorizationCode}.
 */
export async function clientCredentialsToken(
  options: ClientCredentialsOptions,
): Promise<{ accessToken: string; expiresIn?: number }> {
  const endpoint = new URL(options.tokenEndpoint);
  // A token endpoint configured directly (no discovery): its origin stands in for the issuer.
  const as: oauth.AuthorizationServer = { issuer: endpoint.origin, token_endpoint: endpoint.href };
  const client = oauthClient(options.clientId);
  let response: Response;
  try {
    response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      clientAuth(options.auth),
      options.scope ? { scope: options.scope } : {},
      requestOptions(endpoint, options),
    );
  } catch (error) {
    throw translate(error, options.upstream);
  }
  if (response.status >= 500 || response.status === 429)
    throw new UpstreamError(options.upstream, 'unavailable');
  try {
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    if (result.token_type !== 'bearer' || !result.access_token)
      throw new UpstreamError(options.upstream, 'bad-response');
    return {
      accessToken: result.access_token,
      ...(typeof result.expires_in === 'number' && result.expires_in > 0
        ? { expiresIn: result.expires_in }
        : {}),
    };
  } catch (error) {
    throw translate(error, options.upstream);
  }
}

/** Options of {@link introspectToken}. */
export interface IntrospectOptions extends OAuthTransport {
  as: oauth.AuthorizationServer;
  clientId: string;
  auth: ClientAuthentication;
  token: string;
}

/**
 * OAuth 2.0 Token Introspection (RFC 7662 2.1) of an access token (`token_type_hint`), with the
 * client's authentication: the parsed answer, `active` checked to be a boolean. What the answer
 * says (active, client, expiry…) is the caller's to judge. Errors as
 * {@link redeemAuthorizationCode} (a refused client authentication is `bad-response`: ours to fix).
 */
export async function introspectToken(options: IntrospectOptions): Promise<oauth.IntrospectionResponse> {
  const endpoint = options.as.introspection_endpoint;
  if (!endpoint) throw new UpstreamError(options.upstream, 'bad-response');
  const client = oauthClient(options.clientId);
  let response: Response;
  try {
    response = await oauth.introspectionRequest(options.as, client, clientAuth(options.auth), options.token, {
      ...requestOptions(endpoint, options),
      additionalParameters: { token_type_hint: 'access_token' },
    });
  } catch (error) {
    throw translate(error, options.upstream);
  }
  if (response.status >= 500 || response.status === 429)
    throw new UpstreamError(options.upstream, 'unavailable');
  try {
    return await oauth.processIntrospectionResponse(options.as, client, response);
  } catch (error) {
    throw translate(error, options.upstream);
  }
}

/** Options of {@link requestUserInfo}. */
export interface UserInfoOptions extends OAuthTransport {
  as: oauth.AuthorizationServer;
  clientId: string;
  /** The access token, sent as `Authorization: Bearer`. */
  token: string;
  realm: TokenRealm;
}

/** Longest UserInfo answer read. */
const MAX_USERINFO_LENGTH = 16_384;

/**
 * The UserInfo request (OIDC Core 5.3.1) with an access token: the answer's media type and
 * body, unjudged (the caller decides what a plain JSON or a signed JWT answer proves). A refused
 * token (401, OIDC Core 5.3.3 / RFC 6750 3.1) is InvalidTokenError; a timeout, 429 or 5xx is
 * `unavailable`; any other non-200 answer is `bad-response`.
 */
export async function requestUserInfo(
  options: UserInfoOptions,
): Promise<{ contentType: string; body: string }> {
  const endpoint = options.as.userinfo_endpoint;
  if (!endpoint) throw new UpstreamError(options.upstream, 'bad-response');
  let response: Response;
  try {
    response = await oauth.userInfoRequest(
      options.as,
      oauthClient(options.clientId),
      options.token,
      requestOptions(endpoint, options),
    );
  } catch (error) {
    throw translate(error, options.upstream);
  }
  if (response.status === 401 || response.status === 403)
    throw new InvalidTokenError(options.realm, `userinfo refused the access token (${response.status})`);
  if (response.status >= 500 || response.status === 429)
    throw new UpstreamError(options.upstream, 'unavailable');
  if (response.status !== 200) throw new UpstreamError(options.upstream, 'bad-response');
  let body: string;
  try {
    body = await response.text();
  } catch (error) {
    throw translate(error, options.upstream);
  }
  if (body.length > MAX_USERINFO_LENGTH) throw new UpstreamError(options.upstream, 'bad-response');
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return { contentType, body };
}

/**
 * A private key for `private_key_jwt` from its stored form: a private JWK (JSON) or a PKCS#8
 * PEM. The algorithm is the JWK's `alg`, else the one its key type implies (RSA: RS256, P-256:
 * ES256, P-384: ES384, P-521: ES512, Ed25519: EdDSA); the `kid` is the JWK's, else its RFC 7638
 * thumbprint (what the IdP's registered JWKS can be matched on).
 */
export async function importClientPrivateKey(stored: string): Promise<oauth.PrivateKey> {
  const text = stored.trim();
  const jwk = privateJwk(text);
  const alg = jwk.alg ?? impliedAlgorithm(jwk);
  const key = text.startsWith('{')
    ? await importJWK({ ...jwk, ext: false }, alg)
    : await importPKCS8(text, alg);
  if (!(key instanceof CryptoKey)) throw new Error('The client private key is not an asymmetric key.');
  return { key, kid: jwk.kid ?? (await calculateJwkThumbprint(publicJwk(jwk))) };
}

/** The public JWK of a stored private key (what to register at the IdP), with its `kid` and `alg`. */
export async function clientPublicJwk(stored: string): Promise<JWK> {
  const jwk = privateJwk(stored.trim());
  const { kid } = await importClientPrivateKey(stored);
  return { ...publicJwk(jwk), kid, alg: jwk.alg ?? impliedAlgorithm(jwk), use: 'sig' };
}

function privateJwk(text: string): JWK {
  const jwk = text.startsWith('{')
    ? (JSON.parse(text) as JWK)
    : (createPrivateKey(text).export({ format: 'jwk' }) as JWK);
  if (typeof jwk.d !== 'string') throw new Error('The client private key has no private part.');
  return jwk;
}

/** The public members of a JWK (RFC 7517 / 7518: without d, p, q, dp, dq, qi). */
function publicJwk(jwk: JWK): JWK {
  const rest: JWK = { ...jwk };
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'key_ops', 'ext'] as const) delete rest[member];
  return rest;
}

function impliedAlgorithm(jwk: JWK): string {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return 'ES384';
  if (jwk.kty === 'EC' && jwk.crv === 'P-521') return 'ES512';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  throw new Error(`Unsupported client private key type ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''}.`);
}

function oauthClient(clientId: string, now?: () => Date): oauth.Client {
  const client: oauth.Client = { client_id: clientId };
  if (now) client[oauth.clockSkew] = Math.round((now().getTime() - Date.now()) / 1000);
  return client;
}

function tokenEndpoint(as: oauth.AuthorizationServer, upstream: Upstream): string {
  if (!as.token_endpoint) throw new UpstreamError(upstream, 'bad-response');
  return as.token_endpoint;
}

/**
 * A claim of the ID token that did not hold or is missing (nonce, aud, auth_time…), as opposed
 * to a malformed response. oauth4webapi reports a missing claim as INVALID_RESPONSE with the
 * token's claims as the cause.
 */
function isClaimCheck(error: unknown): boolean {
  if (!(error instanceof oauth.OperationProcessingError)) return false;
  if (error.code === oauth.JWT_CLAIM_COMPARISON || error.code === oauth.JWT_TIMESTAMP_CHECK) return true;
  const cause = error.cause as { claims?: unknown } | undefined;
  return (
    error.code === oauth.INVALID_RESPONSE &&
    typeof cause?.claims === 'object' &&
    /claim missing/.test(error.message)
  );
}

/**
 * Anything else oauth4webapi or fetch throws: a network failure or timeout (the fetch seam
 * threw, or the request was aborted) is `unavailable`; a response it refused is `bad-response`.
 */
function translate(error: unknown, upstream: Upstream): Error {
  if (error instanceof UpstreamError || error instanceof InvalidTokenError) return error;
  if (error instanceof oauth.ResponseBodyError && (error.status >= 500 || error.status === 429))
    return new UpstreamError(upstream, 'unavailable', { cause: error });
  if (
    error instanceof oauth.ResponseBodyError ||
    error instanceof oauth.OperationProcessingError ||
    error instanceof oauth.UnsupportedOperationError ||
    error instanceof oauth.WWWAuthenticateChallengeError
  )
    return new UpstreamError(upstream, 'bad-response', { cause: error });
  return new UpstreamError(upstream, 'unavailable', { cause: error });
}
