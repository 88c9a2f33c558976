import type { LoginLeg, LoginSession } from '../login-session.js';

/**
 * Ports of the web linking flow: where login sessions wait for their callback, and the two
 * OpenID Connect authorization servers (LINE Login, the company IdP) as the flow uses them.
 */

/**
 * Server-side store of login sessions. {@link consume} must be atomic: of any number of
 * concurrent callbacks with the same state, at most one gets the session.
 */
export interface LoginSessionStore {
  /** Stores a new session (a state collision fails rather than overwrites). */
  create(session: LoginSession): Promise<void>;
  /**
   * Removes and returns the session of `state` for `leg`, but only when it exists, has not
   * expired at `now` and was bound to `bindingHash`. Otherwise nothing is removed.
   * @throws LoginStateError `unknown` (never existed, other leg, or already consumed),
   *   `expired`, or `not-bound` (another browser's state)
   */
  consume(key: { state: string; leg: LoginLeg; bindingHash: string; now: Date }): Promise<LoginSession>;
}

/** What the use case asks an authorization server for. */
export interface AuthorizeRequest {
  state: string;
  nonce: string;
  /** BASE64URL(SHA-256(code_verifier)), method S256. */
  codeChallenge: string;
  redirectUri: string;
  /** LINE only: ask LINE not to log in automatically (the retry after a lost state). */
  disableAutoLogin?: boolean;
}

/**
 * One OpenID Connect authorization server as the web flow uses it (LINE Login, the company IdP).
 * Adapters own the protocol details (endpoints, client authentication, extra parameters).
 */
export interface OAuthLoginClient {
  /** The URL to send the browser to. @throws UpstreamError (e.g. the IdP's discovery failed) */
  authorizeUrl(request: AuthorizeRequest): Promise<string>;
  /**
   * Checks the authorization response's `iss` (RFC 9207), redeems the code at the token
   * endpoint, checks the ID token's claims (nonce included) and returns it, its signature still
   * unverified.
   * @throws InvalidTokenError (wrong `iss`, a claim that does not hold),
   *   AuthorizationCodeRejectedError (`invalid_grant`), UpstreamError (down, slow, 5xx, garbage, no id_token)
   */
  redeemCode(request: RedeemRequest): Promise<string>;
  /**
   * Verifies the ID token {@link redeemCode} returned (not a token a client sent us: that is
   * `CompanyIdentityVerifier` or `LineIdentityVerifier`): signature, `iss`, `aud`, `exp`, `iat`
   * and `nonce` equal to `nonce`.
   * @throws InvalidTokenError / UpstreamError
   */
  verifyRedeemedIdToken(idToken: string, nonce: string): Promise<LoginIdentity>;
}

/** Who signed in at an authorization server of the web flow. */
export interface LoginIdentity {
  userId: string;
  /** LINE only: the web-login channel the ID token was issued to. */
  channelId?: string;
}

/** What a callback brings to the token endpoint, with what the session stored. */
export interface RedeemRequest {
  code: string;
  /** The authorization response's `iss` parameter, when the server sent one (RFC 9207). */
  iss?: string;
  redirectUri: string;
  codeVerifier: string;
  /** The nonce of the authorization request. */
  nonce: string;
}
