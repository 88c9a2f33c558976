import type { CompanyIdentity } from '../link.js';
import type { FactorValues } from '../member-factors.js';

/** The company's systems as the use cases need them: its OpenID Connect IdP (pattern 1) and its member verification API (pattern 2). */

/** Verifies an ID token issued by the company's OpenID Connect IdP. */
export interface CompanyIdentityVerifier {
  /**
   * @param options.nonce when set, the token's `nonce` claim must equal it (web flow).
   * @throws InvalidTokenError / UpstreamError
   */
  verifyIdToken(token: string, options?: { nonce?: string }): Promise<CompanyIdentity>;
}

/** The company's answer to a verification request (pattern 2). */
export type CompanyMemberVerdict = { verified: true; companyUserId: string } | { verified: false };

/** The company's member verification API (pattern 2). */
export interface CompanyMemberVerifier {
  /** @throws UpstreamError when the API is unavailable or answers something unexpected. */
  verifyMember(input: { memberId: string; factors: FactorValues }): Promise<CompanyMemberVerdict>;
}
