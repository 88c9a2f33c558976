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
  verifyIdToken(token: string): Promise<CompanyIdentity>;
}

/** The company's answer to a verification request (pattern 2). */
export type CompanyMemberVerdict = { verified: true; companyUserId: string } | { verified: false };

/** The company's member verification API (pattern 2). */
export interface CompanyMemberVerifier {
  /** @throws UpstreamError when the API is unavailable or answers something unexpected. */
  verifyMember(input: { memberId: string; factors: FactorValues }): Promise<CompanyMemberVerdict>;
}
