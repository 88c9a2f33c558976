import { FeatureDisabledError, InvalidTokenError, LineNonceRequiredError } from '../errors.js';
import type {
  CompanyAccessTokenVerifier,
  CompanyIdentityVerifier,
  CreateLinkResult,
  FriendshipStatusApi,
  LineIdentityVerifier,
  LineTokenShape,
  LinkGuard,
} from '../ports/index.js';
import { askFriendshipStatus, friendshipAtLink } from './learn-friendship.js';
import { linkAccounts, type LinkAccountsPorts } from './link-accounts.js';

/** Seconds a company token's binding outlives the last moment the freshness rule accepts it. */
const TOKEN_BINDING_MARGIN_SEC = 60;

/** Ports of {@link linkWithOidc}. */
export interface LinkWithOidcPorts extends LinkAccountsPorts {
  line: LineIdentityVerifier;
  company: CompanyIdentityVerifier;
  /** Company access tokens (`companyAccessToken`); absent where COMPANY_ACCESS_TOKEN_CHECK is `off`. */
  companyAccessTokens?: CompanyAccessTokenVerifier;
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
    /**
     * LINE_REQUIRE_NONCE: the LINE credential must be an ID token whose `nonce` is an unused
     * nonce of `POST /links/nonce`, used up by the link (seed 001, for app logins).
     */
    requireLineNonce?: boolean;
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
 *
 * The company token is an ID token or an access token: an access token is vouched for by the IdP
 * itself (`CompanyAccessTokenVerifier`) and then held to the same rules — fresh, one LINE user.
 *
 * With `requireLineNonce`, the LINE credential must be an ID token carrying a nonce the service
 * issued (`POST /links/nonce`): anything else is refused before any call, and the nonce is used
 * up by the link in its own transaction (a `link-nonce` guard), so of two links with one nonce
 * one wins, and a refused link leaves it unused.
 * @throws InvalidTokenError (`invalid-company-token`, reason `stale`) for an old sign-in.
 * @throws CompanyTokenReplayedError for a token bound to another LINE user.
 * @throws FeatureDisabledError for an access token where they are turned off.
 * @throws LineNonceRequiredError / LineNonceRejectedError where a nonce is required.
 */
export async function linkWithOidc(
  input: { lineToken: string; consentVersion?: string } & (
    { companyIdToken: string } | { companyAccessToken: string }
  ),
  ports: LinkWithOidcPorts,
): Promise<CreateLinkResult> {
  const requireNonce = ports.settings.requireLineNonce === true;
  // An access token has no claims to carry a nonce: refused before LINE is asked about it.
  if (requireNonce && !ports.lineTokenShape.presentsAsIdToken(input.lineToken))
    throw new LineNonceRequiredError();
  const accessTokens = ports.companyAccessTokens;
  if ('companyAccessToken' in input && !accessTokens)
    throw new FeatureDisabledError('Company access tokens', 'COMPANY_ACCESS_TOKEN_CHECK');
  const askedFriendship = ports.lineTokenShape.presentsAsIdToken(input.lineToken)
    ? undefined
    : askFriendshipStatus(input.lineToken, ports.friendshipStatus);
  // Both verifications must succeed; run them side by side to halve the latency.
  const [line, company] = await Promise.all([
    ports.line.verifyBearer(input.lineToken),
    'companyIdToken' in input
      ? ports.company.verifyIdToken(input.companyIdToken)
      : accessTokens!.verifyAccessToken(input.companyAccessToken),
  ]);
  if (requireNonce && (line.via !== 'id-token' || line.nonce === undefined))
    throw new LineNonceRequiredError();
  const now = ports.clock.now();
  const nowSec = Math.floor(now.getTime() / 1000);
  const maxAge = ports.settings.companyIdTokenMaxAgeSeconds;
  if (nowSec - company.signedInAt > maxAge) {
    throw new InvalidTokenError('company', 'stale');
  }
  // LINE's answer is about the access token's user; an ID token's user was not asked about.
  const friendship = await friendshipAtLink(
    line.via === 'access-token' ? askedFriendship : undefined,
    ports.clock,
  );
  const guards: LinkGuard[] = [
    {
      kind: 'company-token',
      tokenId: company.tokenId,
      lineUserId: line.userId,
      // Without an `exp` from the IdP, kept as long as the freshness rule lets the token in.
      expiresAt: company.expiresAt ?? company.signedInAt + maxAge + TOKEN_BINDING_MARGIN_SEC,
    },
  ];
  if (requireNonce)
    guards.push({
      kind: 'link-nonce',
      nonce: line.nonce!,
      lineUserId: line.userId,
      companyUserId: company.userId,
      now,
    });
  return linkAccounts(
    {
      lineUserId: line.userId,
      companyUserId: company.userId,
      method: 'oidc',
      channelId: line.channelId,
      consentVersion: input.consentVersion,
      friendship,
      guards,
    },
    ports,
  );
}
