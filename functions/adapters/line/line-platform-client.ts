import { decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { InvalidTokenError, UpstreamError } from '../../core/errors.js';
import type { LineIdentity } from '../../core/link.js';
import {
  type Clock,
  type LineIdentityVerifier,
  type LineTokenShape,
  systemClock,
} from '../../core/ports/index.js';
import { fetchJson, isObject, type FetchLike } from '../http/fetch-with-timeout.js';
import { remoteJwks, translateJwtError } from '../jwks.js';

/** Options of {@link LinePlatformClient}. */
export interface LinePlatformClientOptions {
  /** Channels whose tokens are accepted: an ID token's `aud` or an access token's `client_id` must be one. */
  channelIds: readonly string[];
  /** The web-login channel: the only `aud` accepted from the token endpoint's HS256 ID tokens. */
  loginChannelId: string;
  /** LINE API origin (`https://api.line.me`): certs, verify, profile, token. */
  apiBase: string;
  /** Expected `iss` of ID tokens (`https://access.line.me`). */
  issuer: string;
  timeoutMs?: number;
  fetch?: FetchLike;
  clock?: Clock;
  /** Minimum time between two JWKS fetches, whatever the traffic (an unknown `kid` waits for it). */
  jwksCooldownMs?: number;
  /** How long fetched keys are trusted before they are fetched again. */
  jwksCacheMaxAgeMs?: number;
}

/** LINE user IDs are `U` followed by 32 lowercase hex digits. */
const LINE_USER_ID = /^U[0-9a-f]{32}$/;
/** RFC 6750 b64token: the only characters a bearer token may have. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 4096;
/** Small allowance for clock skew between LINE and Lambda, in seconds. */
const CLOCK_TOLERANCE_SEC = 5;

/**
 * Verifies LINE credentials the way LINE documents it
 * (https://developers.line.biz/en/docs/line-login/secure-login-process/ and
 * https://developers.line.biz/en/docs/line-login/verify-id-token/):
 *
 * - ID tokens from LIFF / LINE SDK are ES256, verified locally with the keys of LINE's JWKS
 *   (`/oauth2/v2.1/certs`), which are cached for the life of this object; an unknown `kid`
 *   refetches the set at most once per cooldown (jose's remote JWKS).
 * - Access tokens are checked with `GET /oauth2/v2.1/verify` (our channel as `client_id`,
 *   positive `expires_in`), then `GET /v2/profile` gives the user ID.
 * - ID tokens from the web-login token endpoint are HS256 with the channel secret
 *   ({@link verifyWebLoginIdToken}); the algorithm is pinned per path, so an HS256 token is
 *   never accepted where ES256 is expected, and `none` never anywhere.
 *
 * Create one per execution environment (module scope) so the JWKS cache survives invocations.
 */
export class LinePlatformClient implements LineIdentityVerifier, LineTokenShape {
  private readonly options: Required<Omit<LinePlatformClientOptions, 'fetch'>> & { fetch: FetchLike };
  private readonly jwks: ReturnType<typeof remoteJwks>;

  constructor(options: LinePlatformClientOptions) {
    this.options = {
      timeoutMs: 3000,
      fetch: (input, init) => fetch(input, init),
      clock: systemClock,
      jwksCooldownMs: 30_000,
      jwksCacheMaxAgeMs: 10 * 60_000,
      ...options,
      apiBase: options.apiBase.replace(/\/+$/, ''),
    };
    this.jwks = remoteJwks(new URL(`${this.options.apiBase}/oauth2/v2.1/certs`), {
      upstream: 'line',
      fetch: this.options.fetch,
      timeoutMs: this.options.timeoutMs,
      cooldownMs: this.options.jwksCooldownMs,
      cacheMaxAgeMs: this.options.jwksCacheMaxAgeMs,
    });
  }

  /**
   * Verifies an `Authorization: Bearer` credential. A JWT whose unverified payload names LINE's
   * issuer is treated as an ID token (and must then pass ES256 verification); anything else is
   * treated as an access token and checked with LINE. Choosing the path by looking is safe: each
   * path verifies fully, and neither trusts what it looked at.
   */
  async verifyBearer(token: string): Promise<LineIdentity> {
    if (!token || token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) {
      throw new InvalidTokenError('line', 'malformed bearer token');
    }
    return this.presentsAsIdToken(token) ? this.verifyLiffIdToken(token) : this.verifyAccessToken(token);
  }

  /** Verifies a LIFF / SDK ID token: ES256 only, keys from LINE's JWKS. */
  async verifyLiffIdToken(token: string, options: { nonce?: string } = {}): Promise<LineIdentity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        algorithms: ['ES256'],
        issuer: this.options.issuer,
        audience: [...this.options.channelIds],
        requiredClaims: ['sub', 'exp', 'iat'],
        maxTokenAge: '24h',
        clockTolerance: CLOCK_TOLERANCE_SEC,
        currentDate: this.options.clock.now(),
      }));
    } catch (error) {
      throw translateJwtError(error, 'line', 'line');
    }
    return {
      userId: this.checkClaims(payload, options.nonce),
      via: 'id-token',
      channelId: this.acceptedAudience(payload),
      expiresAt: payload.exp!, // a required claim, checked by jwtVerify
      // The SDK's login nonce (LINE_REQUIRE_NONCE matches it against POST /links/nonce's).
      ...(typeof payload.nonce === 'string' && payload.nonce !== '' ? { nonce: payload.nonce } : {}),
    };
  }

  /**
   * Verifies an HS256 ID token that this backend itself received from LINE's token endpoint at
   * the web-login callback, as
   * https://developers.line.biz/en/docs/line-login/verify-id-token/#write-original-code describes:
   * signature with the channel
   * secret, `iss`, `aud`, `exp`, and `nonce` equal to the one stored with the login session.
   */
  async verifyWebLoginIdToken(
    token: string,
    options: { channelSecret: string; nonce: string },
  ): Promise<LineIdentity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, new TextEncoder().encode(options.channelSecret), {
        algorithms: ['HS256'],
        issuer: this.options.issuer,
        audience: this.options.loginChannelId,
        requiredClaims: ['sub', 'exp', 'iat', 'nonce'],
        maxTokenAge: '24h',
        clockTolerance: CLOCK_TOLERANCE_SEC,
        currentDate: this.options.clock.now(),
      }));
    } catch (error) {
      throw translateJwtError(error, 'line', 'line');
    }
    return {
      userId: this.checkClaims(payload, options.nonce),
      via: 'web-login',
      channelId: this.options.loginChannelId,
    };
  }

  /** Verifies an opaque access token with LINE, then asks LINE whose it is. */
  async verifyAccessToken(token: string): Promise<LineIdentity> {
    const { apiBase, timeoutMs, channelIds } = this.options;
    // expires_in counts from LINE's answer; counting from before the question errs on the safe side.
    const askedAtSec = Math.floor(this.options.clock.now().getTime() / 1000);
    const verify = await fetchJson(
      this.options.fetch,
      `${apiBase}/oauth2/v2.1/verify?${new URLSearchParams({ access_token: token })}`,
      { method: 'GET', headers: { accept: 'application/json' } },
      { upstream: 'line', timeoutMs },
    );
    if (verify.status === 400 || verify.status === 401) {
      throw new InvalidTokenError(
        'line',
        `access token rejected by LINE (${describeLineError(verify.body)})`,
      );
    }
    this.assertOk(verify.status, verify.body);
    const { client_id: clientId, expires_in: expiresIn } = verify.body as Record<string, unknown>;
    // https://developers.line.biz/en/docs/line-login/secure-login-process/ ("Verify access token"):
    // client_id must be one of our channels and expires_in positive before the token is used.
    if (typeof clientId !== 'string' || !channelIds.includes(clientId))
      throw new InvalidTokenError('line', 'access token issued for another channel');
    if (typeof expiresIn !== 'number' || !(expiresIn > 0))
      throw new InvalidTokenError('line', 'access token expired');

    const profile = await fetchJson(
      this.options.fetch,
      `${apiBase}/v2/profile`,
      { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
      { upstream: 'line', timeoutMs },
    );
    if (profile.status === 401) throw new InvalidTokenError('line', 'profile refused the access token');
    this.assertOk(profile.status, profile.body);
    const userId = (profile.body as Record<string, unknown>).userId;
    if (typeof userId !== 'string' || !LINE_USER_ID.test(userId)) {
      throw new UpstreamError('line', 'bad-response');
    }
    return {
      userId,
      via: 'access-token',
      channelId: clientId,
      expiresAt: askedAtSec + Math.floor(expiresIn),
    };
  }

  /** Whether `token` presents itself as an ID token of this LINE Platform ({@link looksLikeLineIdToken}). */
  presentsAsIdToken(token: string): boolean {
    return looksLikeLineIdToken(token, this.options.issuer);
  }

  /** The listed channel the (already verified) `aud` names; LINE sends one, RFC 7519 allows a list. */
  private acceptedAudience(payload: JWTPayload): string {
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    const channelId = audiences.find((aud) => aud !== undefined && this.options.channelIds.includes(aud));
    if (!channelId) throw new InvalidTokenError('line', 'aud is not one of our channels');
    return channelId;
  }

  private checkClaims(payload: JWTPayload, nonce: string | undefined): string {
    if (typeof payload.sub !== 'string' || !LINE_USER_ID.test(payload.sub)) {
      throw new InvalidTokenError('line', 'sub is not a LINE user ID');
    }
    if (nonce !== undefined && payload.nonce !== nonce) {
      throw new InvalidTokenError('line', 'nonce mismatch');
    }
    return payload.sub;
  }

  private assertOk(status: number, body: unknown): asserts body is Record<string, unknown> {
    if (status >= 500 || status === 429) throw new UpstreamError('line', 'unavailable');
    if (status !== 200 || !isObject(body)) throw new UpstreamError('line', 'bad-response');
  }
}

function describeLineError(body: unknown): string {
  if (isObject(body) && typeof body.error_description === 'string')
    return body.error_description.slice(0, 100);
  return 'no description';
}

/**
 * Whether a bearer credential presents itself as a LINE ID token: a JWT whose unverified payload
 * names LINE's issuer (LINE's access tokens are JWTs too, without it). Only for choosing a path:
 * whichever is chosen verifies the token fully and trusts nothing it looked at here.
 */
export function looksLikeLineIdToken(token: string, issuer: string): boolean {
  try {
    return decodeJwt(token).iss === issuer;
  } catch {
    return false;
  }
}
