import type { CompanyIdentity } from '../link.js';
import type { FactorValues } from '../member-factors.js';

/** The company's systems as the use cases need them: its OpenID Connect IdP (pattern 1) and its member verification API (pattern 2). */

/**
 * Verifies an ID token issued by the company's OpenID Connect IdP that the app obtained itself
 * and posts with the link request (pattern 1). The web flow's ID tokens, which this backend
 * redeems and checks against the session's nonce, go through
 * `OAuthLoginClient.verifyRedeemedIdToken` (ports/web-login.ts) instead.
 */
export interface CompanyIdentityVerifier {
  /** @throws InvalidTokenError / UpstreamError */
  verifyIdToken(token: string): Promise<VerifiedCompanyIdToken>;
}

/**
 * A verified company ID token: the identity, and what `POST /links` needs to accept each token
 * only while fresh and from one LINE user (DESIGN.md, "Security rules").
 */
export interface VerifiedCompanyIdToken extends CompanyIdentity {
  /** Names this token and no other: `jti:<jti>`, or `sha256:<hex>` of the whole token when it has no usable `jti`. */
  tokenId: string;
  /** When the user signed in at the IdP, epoch seconds: `auth_time`, else `iat` (when the IdP sends no `auth_time`). */
  signedInAt: number;
  /** Epoch seconds from which the verifier refuses the token: its `exp` plus the clock tolerance. */
  expiresAt: number;
}

/**
 * Verifies an access token issued by the company's IdP that the app obtained itself and posts
 * with the link request (pattern 1, `companyAccessToken`): the IdP itself vouches for it (its
 * UserInfo endpoint, or RFC 7662 introspection), with the same audience and freshness rules as
 * an ID token. Absent where a deployment turned access tokens off.
 */
export interface CompanyAccessTokenVerifier {
  /** @throws InvalidTokenError / UpstreamError */
  verifyAccessToken(token: string): Promise<VerifiedCompanyAccessToken>;
}

/**
 * A verified company access token: as a verified ID token (`tokenId` is `sha256:<hex>` of the
 * token, never the token), except that `expiresAt` is absent when the IdP did not tell it (a
 * UserInfo answer carries no `exp`).
 */
export type VerifiedCompanyAccessToken = Omit<VerifiedCompanyIdToken, 'expiresAt'> & { expiresAt?: number };

/** The company's answer to a verification request (pattern 2). */
export type CompanyMemberVerdict = { verified: true; companyUserId: string } | { verified: false };

/** The company's member verification API (pattern 2). */
export interface CompanyMemberVerifier {
  /** @throws UpstreamError when the API is unavailable or answers something unexpected. */
  verifyMember(input: {
    memberId: string;
    factors: FactorValues;
    /**
     * How long the caller waits for the verdict (ms from the call) and the signal it aborts when
     * it stops waiting: the verifier fits its calls, the one retry included, into that time, and
     * sends nothing more once the signal is aborted.
     */
    within?: { ms: number; signal: AbortSignal };
  }): Promise<CompanyMemberVerdict>;
}
