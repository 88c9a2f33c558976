import type { CompanyIdentity, LineIdentity, Link } from './link.js';

/**
 * Ports: what the use cases need from the outside world. Handlers plug in the real adapters
 * (DynamoDB, LINE Platform, company IdP); unit tests pass in-memory fakes.
 */

/** Verifies a LINE credential sent as `Authorization: Bearer` (an ID token or an access token). */
export interface LineIdentityVerifier {
  /** @throws InvalidTokenError when the token is not acceptable; UpstreamError when LINE fails. */
  verifyBearer(token: string): Promise<LineIdentity>;
}

/** Verifies an ID token issued by the company's OpenID Connect IdP. */
export interface CompanyIdentityVerifier {
  /**
   * @param options.nonce when set, the token's `nonce` claim must equal it (web flow).
   * @throws InvalidTokenError / UpstreamError
   */
  verifyIdToken(token: string, options?: { nonce?: string }): Promise<CompanyIdentity>;
}

/** Result of {@link LinkRepository.create}: the stored link and whether this call created it. */
export interface CreateLinkResult {
  link: Link;
  created: boolean;
}

/**
 * Stores links so that a LINE user and a company user are each in at most one link. The
 * implementation must enforce that atomically (never read-then-write).
 */
export interface LinkRepository {
  /**
   * Creates the link, or returns the existing one when the very same pair is already linked.
   * @throws LineUserAlreadyLinkedError / CompanyUserAlreadyLinkedError on a conflict.
   */
  create(link: Link): Promise<CreateLinkResult>;
  findByLineUserId(lineUserId: string): Promise<Link | undefined>;
  findByCompanyUserId(companyUserId: string): Promise<Link | undefined>;
  /** Removes both sides atomically; returns the removed link, or undefined if there was none. */
  deleteByLineUserId(lineUserId: string): Promise<Link | undefined>;
}

/** Time source; tests freeze it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
