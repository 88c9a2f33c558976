import type { LineIdentity } from '../link.js';
import type { CompanyIdentityVerifier, CreateLinkResult, LineIdentityVerifier } from '../ports/index.js';
import { linkAccounts, type LinkAccountsPorts } from './link-accounts.js';

/** Ports of {@link linkWithOidc}. */
export interface LinkWithOidcPorts extends LinkAccountsPorts {
  line: LineIdentityVerifier;
  company: CompanyIdentityVerifier;
}

/**
 * Pattern 1 from a LIFF app: the caller proves its LINE identity with a LINE token and its
 * company identity with an ID token from the company IdP; both are verified here, by us,
 * before anything is written.
 */
export async function linkWithOidc(
  input: { lineToken: string; companyIdToken: string; consentVersion?: string },
  ports: LinkWithOidcPorts,
): Promise<CreateLinkResult & { lineVia: LineIdentity['via'] }> {
  // Both verifications must succeed; run them side by side to halve the latency.
  const [line, company] = await Promise.all([
    ports.line.verifyBearer(input.lineToken),
    ports.company.verifyIdToken(input.companyIdToken),
  ]);
  const result = await linkAccounts(
    {
      lineUserId: line.userId,
      companyUserId: company.userId,
      method: 'oidc',
      channelId: line.channelId,
      consentVersion: input.consentVersion,
    },
    ports,
  );
  // Which credential proved the LINE user: an access token also serves LINE's friendship API.
  return { ...result, lineVia: line.via };
}
