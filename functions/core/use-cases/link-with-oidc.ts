import { InvalidTokenError } from '../errors.js';
import type {
  CompanyIdentityVerifier,
  CreateLinkResult,
  FriendshipStatusApi,
  LineIdentityVerifier,
  LineTokenShape,
  LinkGuard,
} from '../ports/index.js';
import { askFriendshipStatus, friendshipAtLink } from './learn-friendship.js';
import { linkAccounts, type LinkAccountsPorts } from './link-accounts.js';

/** Ports of {@link linkWithOidc}. */
export interface LinkWithOidcPorts extends LinkAccountsPorts {
  line: LineIdentityVerifier;
  company: CompanyIdentityVerifier;
  /** Which LINE tokens LINE's friendship status API is asked about: those not presenting as ID tokens. */
  lineTokenShape: LineTokenShape;
  /** LINE's friendship status API, asked with the user's own access token. */
  friendshipStatus: FriendshipStatusApi;
  settings: {
    /**
     * COMPANY_ID_TOKEN_MAX_AGE_SECONDS: the oldest company sign-in (`auth_time`, else `iat`)
     * accepted, so a token that leaked is of use for minutes, not for the token's whole life.
     */
    companyIdTokenMaxAgeSeconds: number;
  };
}

/**
 * Pattern 1 from a LIFF app (`POST /links`): the caller proves its LINE identity with a LINE
 * token and its company identity with an ID token from the company IdP; both are verified here,
 * by us, before anything is written. The new link takes over the user's friendship: for a LINE
 * access token (any bearer that does not present itself as an ID token), what LINE's friendship
 * status API answers, asked while the tokens are verified (the token goes only to LINE, which
 * checks it either way); else, or when LINE does not tell, what the service already knew.
 *
 * The company token is a bearer credential the app obtained elsewhere, so it is taken only when
 * fresh (the sign-in at most `companyIdTokenMaxAgeSeconds` old) and from one LINE user: the link
 * repository binds it to the first LINE user it links (a `company-token` guard, in the link's own
 * transaction), another LINE user presenting it gets CompanyTokenReplayedError and writes nothing,
 * and the same user presenting it again is a retry (200 with the link, or 201 when the first try
 * wrote nothing). The web flow (`completeCompanyLogin`, link-by-web-login.ts) needs no such
 * record: its company token comes from its own code exchange, checked against the nonce of a
 * login session that is consumed exactly once.
 * @throws InvalidTokenError (`invalid-company-token`, reason `stale`) for an old sign-in.
 * @throws CompanyTokenReplayedError for a token bound to another LINE user.
 */
export async function linkWithOidc(
  input: {
    lineToken: string;
    companyIdToken: string;
    consentVersion?: string;
  },
  ports: LinkWithOidcPorts,
): Promise<CreateLinkResult> {
  const askedFriendship = ports.lineTokenShape.presentsAsIdToken(input.lineToken)
    ? undefined
    : askFriendshipStatus(input.lineToken, ports.friendshipStatus);
  // Both verifications must succeed; run them side by side to halve the latency.
  const [line, company] = await Promise.all([
    ports.line.verifyBearer(input.lineToken),
    ports.company.verifyIdToken(input.companyIdToken),
  ]);
  const nowSec = Math.floor(ports.clock.now().getTime() / 1000);
  if (nowSec - company.signedInAt > ports.settings.companyIdTokenMaxAgeSeconds) {
    throw new InvalidTokenError('company', 'stale');
  }
  // LINE's answer is about the access token's user; an ID token's user was not asked about.
  const friendship = await friendshipAtLink(
    line.via === 'access-token' ? askedFriendship : undefined,
    ports.clock,
  );
  const guard: LinkGuard = {
    kind: 'company-token',
    tokenId: company.tokenId,
    lineUserId: line.userId,
    expiresAt: company.expiresAt,
  };
  return linkAccounts(
    {
      lineUserId: line.userId,
      companyUserId: company.userId,
      method: 'oidc',
      channelId: line.channelId,
      consentVersion: input.consentVersion,
      friendship,
      guards: [guard],
    },
    ports,
  );
}
