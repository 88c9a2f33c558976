import type { CompanyIdentityVerifier, CreateLinkResult, LineIdentityVerifier } from '../ports/index.js';
import { friendshipAtLink } from './learn-friendship.js';
import { linkAccounts, type LinkAccountsPorts } from './link-accounts.js';

/** Ports of {@link linkWithOidc}. */
export interface LinkWithOidcPorts extends LinkAccountsPorts {
  line: LineIdentityVerifier;
  company: CompanyIdentityVerifier;
}

/**
 * Pattern 1 from a LIFF app: the caller proves its LINE identity with a LINE token and its
 * company identity with an ID token from the company IdP; both are verified here, by us,
 * before anything is written. The new link takes over the user's friendship: what LINE answered
 * `askedFriendship` (started by the caller alongside, for an access token) or else what the
 * service already knew.
 */
export async function linkWithOidc(
  input: {
    lineToken: string;
    companyIdToken: string;
    consentVersion?: string;
    /** `askFriendshipStatus`'s answer for `lineToken`, when it is a LINE access token. */
    askedFriendship?: Promise<boolean | undefined>;
  },
  ports: LinkWithOidcPorts,
): Promise<CreateLinkResult> {
  // Both verifications must succeed; run them side by side to halve the latency.
  const [line, company] = await Promise.all([
    ports.line.verifyBearer(input.lineToken),
    ports.company.verifyIdToken(input.companyIdToken),
  ]);
  // LINE's answer is about the access token's user; an ID token's user was not asked about.
  const friendship = await friendshipAtLink(
    line.via === 'access-token' ? input.askedFriendship : undefined,
    ports.clock,
  );
  return linkAccounts(
    {
      lineUserId: line.userId,
      companyUserId: company.userId,
      method: 'oidc',
      channelId: line.channelId,
      consentVersion: input.consentVersion,
      friendship,
    },
    ports,
  );
}
