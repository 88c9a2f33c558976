import type { LineIdentity } from '../link.js';

/** The LINE Platform as the use cases need it: who a bearer credential belongs to. */

/** Verifies a LINE credential sent as `Authorization: Bearer` (an ID token or an access token). */
export interface LineIdentityVerifier {
  /** @throws InvalidTokenError when the token is not acceptable; UpstreamError when LINE fails. */
  verifyBearer(token: string): Promise<LineIdentity>;
}

/** Revokes the user's authorization of our LINE Login channel at LINE. */
export interface LineDeauthorizer {
  /** @throws UpstreamError when LINE cannot be reached or refuses. */
  deauthorize(userAccessToken: string): Promise<void>;
}
