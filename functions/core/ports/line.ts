import type { LineIdentity } from '../link.js';

/** The LINE Platform as the use cases need it: who a bearer credential belongs to. */

/** Verifies a LINE credential sent as `Authorization: Bearer` (an ID token or an access token). */
export interface LineIdentityVerifier {
  /** @throws InvalidTokenError when the token is not acceptable; UpstreamError when LINE fails. */
  verifyBearer(token: string): Promise<LineIdentity>;
}

/**
 * Tells, before any verification, whether a bearer credential presents itself as a LINE ID token
 * (else it may be an access token). Only for choosing what to start alongside the verification:
 * it trusts nothing it looked at, and the verifier decides what the token really is.
 */
export interface LineTokenShape {
  presentsAsIdToken(token: string): boolean;
}

/** Revokes the user's authorization of our LINE Login channel at LINE. */
export interface LineDeauthorizer {
  /** @throws UpstreamError when LINE cannot be reached or refuses. */
  deauthorize(userAccessToken: string): Promise<void>;
}
