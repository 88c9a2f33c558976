import { UpstreamError } from '../../core/errors.js';
import type { AuthorizeRequest, OAuthLoginClient, RedeemRequest } from '../../core/ports/index.js';
import type { FetchLike } from '../http/fetch-with-timeout.js';
import { redeemAuthorizationCode, type ClientAuthentication } from '../http/oauth-client.js';
import { withQuery } from '../http/query-string.js';
import type { OidcCompanyVerifier } from './oidc-company-verifier.js';

/** Options of {@link OidcWebLoginClient}. */
export interface OidcWebLoginClientOptions {
  clientId: string;
  /**
   * How the client authenticates at the token endpoint (COMPANY_OIDC_TOKEN_AUTH_METHOD) with its
   * credential: the client secret, or the private key of `private_key_jwt`, read once per cold start.
   */
  clientAuthentication: () => Promise<ClientAuthentication>;
  /** COMPANY_OIDC_SCOPES (contains `openid`). */
  scope: string;
  /** COMPANY_OIDC_MAX_AGE: a sign-in at most this many seconds old (sent as `max_age`, `auth_time` checked). */
  maxAge?: number;
  /** Discovery (endpoints) and ID token verification, with their caches (only the identity is used). */
  verifier: Pick<OidcCompanyVerifier, 'getDiscovery'> & {
    verifyIdToken(token: string, options: { nonce?: string; maxAge?: number }): Promise<{ userId: string }>;
  };
  timeoutMs: number;
  fetch?: FetchLike;
  /** The service's clock (ID token time checks). */
  now?: () => Date;
}

/**
 * The company IdP's authorization-code flow (OIDC Core 3.1) as an {@link OAuthLoginClient}:
 * endpoints from the discovery document, PKCE (S256), `max_age` when configured, the RFC 9207
 * `iss` check of the authorization response, client authentication by `client_secret_basic`,
 * `client_secret_post` or `private_key_jwt`, the ID token's claims checked by oauth4webapi
 * (nonce, auth_time) and its signature verified with jose against the IdP's JWKS (asymmetric
 * algorithms only), nonce and auth_time again included.
 */
export class OidcWebLoginClient implements OAuthLoginClient {
  private readonly fetch: FetchLike;

  constructor(private readonly options: OidcWebLoginClientOptions) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async authorizeUrl(request: AuthorizeRequest): Promise<string> {
    const { authorizationEndpoint } = await this.options.verifier.getDiscovery();
    if (!authorizationEndpoint) throw new UpstreamError('company-idp', 'bad-response');
    return withQuery(authorizationEndpoint, {
      response_type: 'code',
      client_id: this.options.clientId,
      redirect_uri: request.redirectUri,
      scope: this.options.scope,
      state: request.state,
      nonce: request.nonce,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
      max_age: this.options.maxAge === undefined ? undefined : String(this.options.maxAge),
    });
  }

  async redeemCode(request: RedeemRequest): Promise<string> {
    const { server, tokenEndpoint } = await this.options.verifier.getDiscovery();
    if (!tokenEndpoint) throw new UpstreamError('company-idp', 'bad-response');
    return redeemAuthorizationCode({
      as: server,
      clientId: this.options.clientId,
      auth: await this.options.clientAuthentication(),
      callback: { code: request.code, ...(request.iss !== undefined ? { iss: request.iss } : {}) },
      redirectUri: request.redirectUri,
      codeVerifier: request.codeVerifier,
      nonce: request.nonce,
      ...(this.options.maxAge !== undefined ? { maxAge: this.options.maxAge } : {}),
      realm: 'company',
      upstream: 'company-idp',
      timeoutMs: this.options.timeoutMs,
      fetch: this.fetch,
      ...(this.options.now ? { now: this.options.now } : {}),
    });
  }

  async verifyRedeemedIdToken(idToken: string, nonce: string): Promise<{ userId: string }> {
    const identity = await this.options.verifier.verifyIdToken(idToken, {
      nonce,
      ...(this.options.maxAge !== undefined ? { maxAge: this.options.maxAge } : {}),
    });
    return { userId: identity.userId };
  }
}
