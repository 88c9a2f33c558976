/** How a link was proven; kept on the link for analysts and audits. */
export type LinkMethod = 'oidc' | 'api' | 'record' | 'account-link';

export const LINK_METHODS: readonly LinkMethod[] = ['oidc', 'api', 'record', 'account-link'];

/**
 * One LINE user ↔ one company user. This shape is the public API representation of a link
 * (docs/api.md) and the unit the repository stores atomically on both sides.
 */
export interface Link {
  lineUserId: string;
  companyUserId: string;
  method: LinkMethod;
  /** ISO 8601 instant, UTC. */
  linkedAt: string;
  /** The LINE channel whose token proved the LINE identity (absent on links made before it was kept). */
  channelId?: string;
  /**
   * Whether the LINE user has the LINE Official Account as a friend, as last learned (follow /
   * unfollow webhook events, the friendship status API); `null` or absent when never learned.
   */
  friend?: boolean | null;
  /** When {@link friend} was learned: the time of the event it came from (ISO 8601, UTC). */
  friendUpdatedAt?: string;
}

/** The verified LINE identity of a caller. Only ever built from a token we verified. */
export interface LineIdentity {
  userId: string;
  /** Which kind of credential proved it; useful in logs and audits. */
  via: 'id-token' | 'access-token' | 'web-login';
  /** The channel the token was issued for (one of LINE_CHANNEL_ID): which app the user came from. */
  channelId: string;
  /**
   * When the credential that proved it stops being valid, in epoch seconds: an ID token's `exp`,
   * or for an access token the verification time plus LINE's `expires_in`. A verified-token cache
   * never vouches for the identity after it; absent when the verifier does not know it.
   */
  expiresAt?: number;
  /**
   * The verified ID token's `nonce` claim (LIFF and SDK ID tokens only; absent without one): what
   * LINE_REQUIRE_NONCE matches against the nonces of `POST /links/nonce`.
   */
  nonce?: string;
}

/** The verified company identity (the `sub` of the company IdP's ID token, or the company API's answer). */
export interface CompanyIdentity {
  userId: string;
}

/**
 * A link as the API shows it: `friend` is always present (`null` when never learned), and
 * `friendUpdatedAt` only when it was learned.
 */
export function publicLink(link: Link): Link & { friend: boolean | null } {
  return {
    lineUserId: link.lineUserId,
    companyUserId: link.companyUserId,
    method: link.method,
    linkedAt: link.linkedAt,
    ...(link.channelId !== undefined ? { channelId: link.channelId } : {}),
    friend: link.friend ?? null,
    ...(link.friendUpdatedAt !== undefined ? { friendUpdatedAt: link.friendUpdatedAt } : {}),
  };
}
