import { createHash } from 'node:crypto';
import { jwtVerify, type JWTPayload } from 'jose';
import { InvalidTokenError } from '../../core/errors.js';
import {
  type Clock,
  type CompanyAccessTokenVerifier,
  systemClock,
  type VerifiedCompanyAccessToken,
} from '../../core/ports/index.js';
import type { FetchLike } from '../http/fetch-with-timeout.js';
import {
  introspectToken,
  requestUserInfo,
  type ClientAuthentication,
  type OAuthTransport,
} from '../http/oauth-client.js';
import { translateJwtError } from '../jwks.js';
import type { OidcCompanyVerifier } from './oidc-company-verifier.js';

/** Options of {@link OidcAccessTokenVerifier}. */
export interface OidcAccessTokenVerifierOptions {
  /** Our client at the IdP: the client a token must have been issued to. */
  clientId: string;
  /** COMPANY_ACCESS_TOKEN_CHECK: where the IdP is asked about the token. */
  check: 'userinfo' | 'introspection';
  /**
   * The introspection endpoint's client authentication (COMPANY_OIDC_TOKEN_AUTH_METHOD and its
   * credential, as the web flow's token requests), read once per cold start.
   */
  clientAuthentication: () => Promise<ClientAuthentication>;
  /** Discovery and signing keys, with their caches (the ID token verifier's). */
  verifier: Pick<OidcCompanyVerifier, 'getDiscovery' | 'getJwks'>;
  timeoutMs?: number;
  fetch?: FetchLike;
  clock?: Clock;
}

/** Seconds of clock difference with the IdP tolerated on exp, iat and auth_time. */
const CLOCK_TOLERANCE_SEC = 5;
/** A company user ID becomes part of a DynamoDB key: printable, bounded. */
const COMPANY_USER_ID = /^[\x21-\x7e]{1,128}$/;
/** An access token goes into an Authorization header or a form: printable ASCII, bounded. */
const ACCESS_TOKEN = /^[\x21-\x7e]{1,8192}$/;

/**
 * Verifies access tokens of the company's IdP that an app sends to `POST /links`
 * (`companyAccessToken`, seed 000: "AccessToken/IDToken"), holding them to the rules of ID
 * tokens: issued to our client, unexpired, the sign-in fresh (the caller checks `signedInAt`),
 * each token linking once (known by its SHA-256, never by itself).
 *
 * An opaque token says nothing itself, so the IdP is asked, at an endpoint from its discovery
 * document:
 *
 * - `introspection` (RFC 7662), authenticated as our client: `active` must be true, `client_id`
 *   ours (or, without one, `aud` naming us), `iss` the issuer when present, `token_type` Bearer
 *   when present, `exp` in the future, `sub` a usable ID, and `auth_time` or else `iat` tell the
 *   sign-in's age.
 * - `userinfo` (OIDC Core 5.3): the answer must be a signed JWT (5.3.2, our client registered
 *   with `userinfo_signed_response_alg`), verified with the IdP's keys, with `iss` the issuer,
 *   `aud` our client and `auth_time` the sign-in. A plain JSON answer is refused: it does not say
 *   which client the token was issued to, so a token another app of the same IdP obtained (token
 *   substitution) would pass; and a UserInfo answer's `iat` dates the answer, not the sign-in.
 */
export class OidcAccessTokenVerifier implements CompanyAccessTokenVerifier {
  private readonly fetch: FetchLike;
  private readonly clock: Clock;
  private readonly timeoutMs: number;

  constructor(private readonly options: OidcAccessTokenVerifierOptions) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  async verifyAccessToken(token: string): Promise<VerifiedCompanyAccessToken> {
    if (!ACCESS_TOKEN.test(token)) throw new InvalidTokenError('company', 'malformed access token');
    const identity =
      this.options.check === 'introspection' ? await this.introspect(token) : await this.userInfo(token);
    return { ...identity, tokenId: `sha256:${createHash('sha256').update(token).digest('hex')}` };
  }

  private transport(): OAuthTransport {
    return { upstream: 'company-idp', fetch: this.fetch, timeoutMs: this.timeoutMs };
  }

  private async introspect(token: string): Promise<Omit<VerifiedCompanyAccessToken, 'tokenId'>> {
    const { server, issuer } = await this.options.verifier.getDiscovery();
    const answer = await introspectToken({
      ...this.transport(),
      as: server,
      clientId: this.options.clientId,
      auth: await this.options.clientAuthentication(),
      token,
    });
    if (answer.active !== true) throw new InvalidTokenError('company', 'access token not active');
    const clientId = this.options.clientId;
    const audiences = answer.aud === undefined ? [] : Array.isArray(answer.aud) ? answer.aud : [answer.aud];
    const ours =
      answer.client_id !== undefined ? answer.client_id === clientId : audiences.includes(clientId);
    if (!ours) throw new InvalidTokenError('company', 'access token issued to another client');
    if (answer.iss !== undefined && answer.iss !== issuer)
      throw new InvalidTokenError('company', 'access token of another issuer');
    if (answer.token_type !== undefined && answer.token_type.toLowerCase() !== 'bearer')
      throw new InvalidTokenError('company', 'not an access token');
    const nowSec = this.nowSec();
    if (typeof answer.exp !== 'number') throw new InvalidTokenError('company', 'exp missing');
    if (answer.exp <= nowSec - CLOCK_TOLERANCE_SEC)
      throw new InvalidTokenError('company', 'access token expired');
    const authTime = answer.auth_time ?? answer.iat;
    return {
      userId: usableSubject(answer.sub),
      signedInAt: pastInstant(authTime, nowSec, 'auth_time and iat'),
      expiresAt: answer.exp + CLOCK_TOLERANCE_SEC,
    };
  }

  private async userInfo(token: string): Promise<Omit<VerifiedCompanyAccessToken, 'tokenId'>> {
    const verifier = this.options.verifier;
    const { server, issuer, algorithms, userinfoAlgorithms } = await verifier.getDiscovery();
    const answer = await requestUserInfo({
      ...this.transport(),
      as: server,
      clientId: this.options.clientId,
      token,
      realm: 'company',
    });
    if (answer.contentType !== 'application/jwt')
      throw new InvalidTokenError('company', 'userinfo answer not signed: its audience is unknown');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(answer.body, await verifier.getJwks(), {
        algorithms: userinfoAlgorithms ?? algorithms,
        issuer,
        audience: this.options.clientId,
        requiredClaims: ['sub', 'auth_time'],
        clockTolerance: CLOCK_TOLERANCE_SEC,
        currentDate: this.clock.now(),
      }));
    } catch (error) {
      throw translateJwtError(error, 'company', 'company-idp');
    }
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== this.options.clientId)
      throw new InvalidTokenError('company', 'azp is not our client');
    return {
      userId: usableSubject(payload.sub),
      // No expiresAt: an `exp` here dates the answer, not the token.
      signedInAt: pastInstant(payload.auth_time, this.nowSec(), 'auth_time'),
    };
  }

  private nowSec(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}

function usableSubject(sub: unknown): string {
  if (typeof sub !== 'string' || !COMPANY_USER_ID.test(sub))
    throw new InvalidTokenError('company', 'sub is not a usable company user ID');
  return sub;
}

/** An epoch-seconds claim that must be a number not in the future (OIDC Core 2). */
function pastInstant(value: unknown, nowSec: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InvalidTokenError('company', `${name} missing or not a number`);
  if (value > nowSec + CLOCK_TOLERANCE_SEC) throw new InvalidTokenError('company', `${name} in the future`);
  return value;
}
