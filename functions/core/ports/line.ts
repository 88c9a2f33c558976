import type { LineIdentity } from '../link.js';

/** The LINE Platform as the use cases need it: who a bearer credential belongs to. */

/** Verifies a LINE credential sent as `Authorization: Bearer` (an ID token or an access token). */
export interface LineIdentityVerifier {
  /** @throws InvalidTokenError when the token is not acceptable; UpstreamError when LINE fails. */
  verifyBearer(token: string): Promise<LineIdentity>;
}
