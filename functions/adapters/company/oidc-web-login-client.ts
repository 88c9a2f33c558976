import { UpstreamError } from '../../core/errors.js';
import type { AuthorizeRequest, OAuthLoginClient } from '../../core/web-login.js';
import type { FetchLike } from '../http/fetch-with-timeout.js';
import { redeemAuthorizationCode } from '../http/oauth-token-client.js';
import { withQuery } from '../http/query-string.js';
import type { OidcCompanyVerifier } from './oidc-company-verifier.js';

/** Options of {@link OidcWebLoginClient}. */
export interface OidcWebLoginClientOptions {
  clientId: string;
  /** The client secret, read once per cold start. */
  clientSecret: () => Promise<string>;
  /** COMPANY_OIDC_TOKEN_AUTH_METHOD */
  tokenAuthMethod: 'client_secret_basic' | 'client_secret_post';
  /** COMPANY_OIDC_SCOPES (contains `openid`). */
  scope: string;
  /** Discovery (endpoints) and ID token verification, with their caches. */
  verifier: Pick<OidcCompanyVerifier, 'getDiscovery' | 'verifyIdToken'>;
  timeoutMs: number;
  fetch?: FetchLike;
}

/**
 * The company IdP's authorization-code flow (OIDC Core 3.1) as an {@link OAuthLoginClient}:
 * endpoints from the discovery document, PKCE (S256), client authentication by
 * `client_secret_basic` or `client_secret_post`, and the ID token verified with the IdP's JWKS
 * (asymmetric algorithms only) including the nonce.
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
    });
  }

  async redeemCode(request: { code: string; redirectUri: string; codeVerifier: string }): Promise<string> {
    const { tokenEndpoint } = await this.options.verifier.getDiscovery();
    if (!tokenEndpoint) throw new UpstreamError('company-idp', 'bad-response');
    return redeemAuthorizationCode({
      tokenEndpoint,
      ...request,
      auth: {
        method: this.options.tokenAuthMethod,
        clientId: this.options.clientId,
        clientSecret: await this.options.clientSecret(),
      },
      realm: 'company',
      upstream: 'company-idp',
      timeoutMs: this.options.timeoutMs,
      fetch: this.fetch,
    });
  }

  async verifyIdToken(idToken: string, nonce: string): Promise<{ userId: string }> {
    const identity = await this.options.verifier.verifyIdToken(idToken, { nonce });
    return { userId: identity.userId };
  }
}
