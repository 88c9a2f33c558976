import { createHash } from 'node:crypto';
import { jwtVerify, type JWTPayload } from 'jose';
import type { AuthorizationServer } from 'oauth4webapi';
import { InvalidTokenError, UpstreamError } from '../../core/errors.js';
import {
  type Clock,
  type CompanyIdentityVerifier,
  systemClock,
  type VerifiedCompanyIdToken,
} from '../../core/ports/index.js';
import { isLoopbackHost } from '../../manifest/config-schema.js';
import { cachedPromise } from '../cached-promise.js';
import type { FetchLike } from '../http/fetch-with-timeout.js';
import { discover } from '../http/oauth-client.js';
import { remoteJwks, translateJwtError } from '../jwks.js';

/** What the service uses from the IdP's OpenID Provider metadata. */
export interface OidcDiscovery {
  issuer: string;
  jwksUri: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  /** RFC 7662 introspection (`introspection_endpoint`), for company access tokens. */
  introspectionEndpoint?: string;
  /** OIDC Core 5.3 UserInfo (`userinfo_endpoint`), for company access tokens. */
  userinfoEndpoint?: string;
  /** Signature algorithms we accept: the IdP's advertised list, restricted to asymmetric ones. */
  algorithms: string[];
  /** The same for signed UserInfo answers (`userinfo_signing_alg_values_supported`, else {@link algorithms}). */
  userinfoAlgorithms?: string[];
  /** The whole metadata document, as oauth4webapi validated it (for the web flow's requests). */
  server: AuthorizationServer;
}

/** Options of {@link OidcCompanyVerifier}. */
export interface OidcCompanyVerifierOptions {
  issuer: string;
  clientId: string;
  timeoutMs?: number;
  fetch?: FetchLike;
  clock?: Clock;
  jwksCooldownMs?: number;
}

/**
 * Asymmetric algorithms only: HS* would let anyone holding the client secret (including us)
 * mint tokens, and `none` is never acceptable.
 */
export const ACCEPTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
/** Seconds of clock difference with the IdP tolerated on exp, iat, nbf and auth_time. */
const CLOCK_TOLERANCE_SEC = 5;
/** A company user ID becomes part of a DynamoDB key: printable, bounded. */
const COMPANY_USER_ID = /^[\x21-\x7e]{1,128}$/;
/** A `jti` used as is in a DynamoDB key (`POST /links` replay records): printable, bounded; else the token's hash. */
const USABLE_JTI = /^[\x21-\x7e]{1,255}$/;

/**
 * Verifies ID tokens of the company's OpenID Connect IdP. The discovery document
 * (`{issuer}/.well-known/openid-configuration`) is fetched once and cached (a failed fetch is
 * retried on the next call); its `jwks_uri` feeds a cached remote JWKS. Tokens must carry our
 * client ID in `aud` (and as `azp` when there are several audiences, OIDC Core 3.1.3.7).
 */
export class OidcCompanyVerifier implements CompanyIdentityVerifier {
  private readonly options: Required<Omit<OidcCompanyVerifierOptions, 'fetch'>> & { fetch: FetchLike };
  /** The discovery document and its JWKS, fetched once; a failed fetch is retried on the next call. */
  private readonly load = cachedPromise(() => this.discover());

  constructor(options: OidcCompanyVerifierOptions) {
    this.options = {
      timeoutMs: 3000,
      fetch: (input, init) => fetch(input, init),
      clock: systemClock,
      jwksCooldownMs: 30_000,
      ...options,
    };
  }

  /** The IdP's metadata (authorization and token endpoints are used by the web flow). */
  async getDiscovery(): Promise<OidcDiscovery> {
    return (await this.load()).metadata;
  }

  /** The IdP's signing keys (`jwks_uri`), cached as for ID tokens: signed UserInfo answers are verified with them. */
  async getJwks() {
    return (await this.load()).jwks;
  }

  /**
   * Verifies the token and tells when the user signed in (`auth_time`, else `iat`) and how to
   * recognise the token again (`jti`, else its SHA-256), for `POST /links` to take each token only
   * while fresh and from one LINE user. An `auth_time` that is not a number, or is in the future,
   * is refused (OIDC Core 2).
   * @param options.nonce the ID token's `nonce` must equal it (web flow).
   * @param options.maxAge the sign-in must be at most this many seconds old: `auth_time`
   *   present and recent (OIDC Core 3.1.2.1 `max_age`, 3.1.3.7 step 11).
   */
  async verifyIdToken(
    token: string,
    options: { nonce?: string; maxAge?: number } = {},
  ): Promise<VerifiedCompanyIdToken> {
    if (!token || token.length > 8192) throw new InvalidTokenError('company', 'malformed token');
    const { metadata, jwks } = await this.load();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        algorithms: metadata.algorithms,
        issuer: metadata.issuer,
        audience: this.options.clientId,
        requiredClaims: ['sub', 'exp', 'iat'],
        maxTokenAge: '24h',
        clockTolerance: CLOCK_TOLERANCE_SEC,
        currentDate: this.options.clock.now(),
      }));
    } catch (error) {
      throw translateJwtError(error, 'company', 'company-idp');
    }
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== this.options.clientId) {
      throw new InvalidTokenError('company', 'azp is not our client');
    }
    if (options.nonce !== undefined && payload.nonce !== options.nonce) {
      throw new InvalidTokenError('company', 'nonce mismatch');
    }
    const nowSec = Math.floor(this.options.clock.now().getTime() / 1000);
    const authTime = payload.auth_time;
    if (authTime !== undefined && (typeof authTime !== 'number' || !Number.isFinite(authTime)))
      throw new InvalidTokenError('company', 'auth_time is not a number');
    if (authTime !== undefined && authTime > nowSec + CLOCK_TOLERANCE_SEC)
      throw new InvalidTokenError('company', 'auth_time in the future');
    if (options.maxAge !== undefined) {
      if (authTime === undefined) throw new InvalidTokenError('company', 'auth_time missing');
      if (nowSec - authTime > options.maxAge + CLOCK_TOLERANCE_SEC)
        throw new InvalidTokenError('company', 'auth_time older than max_age');
    }
    if (typeof payload.sub !== 'string' || !COMPANY_USER_ID.test(payload.sub)) {
      throw new InvalidTokenError('company', 'sub is not a usable company user ID');
    }
    return {
      userId: payload.sub,
      tokenId:
        typeof payload.jti === 'string' && USABLE_JTI.test(payload.jti)
          ? `jti:${payload.jti}`
          : `sha256:${createHash('sha256').update(token).digest('hex')}`,
      // jose checked both are numbers (requiredClaims, exp and iat validation).
      signedInAt: authTime ?? payload.iat!,
      expiresAt: payload.exp! + CLOCK_TOLERANCE_SEC,
    };
  }

  private async discover() {
    // oauth4webapi fetches the document and checks its issuer is exactly ours (OIDC Discovery 4.3).
    const server = await discover(this.options.issuer, {
      upstream: 'company-idp',
      fetch: this.options.fetch,
      timeoutMs: this.options.timeoutMs,
    });
    if (typeof server.jwks_uri !== 'string') throw new UpstreamError('company-idp', 'bad-response');
    const jwksUrl = safeUrl(server.jwks_uri);
    const advertised = Array.isArray(server.id_token_signing_alg_values_supported)
      ? server.id_token_signing_alg_values_supported.filter((a): a is string => typeof a === 'string')
      : ['RS256']; // OIDC Discovery: RS256 is the default when the list is absent.
    const algorithms = advertised.filter((a) => ACCEPTED_ALGORITHMS.includes(a));
    if (algorithms.length === 0) throw new UpstreamError('company-idp', 'bad-response');
    const userinfoAlgorithms = Array.isArray(server.userinfo_signing_alg_values_supported)
      ? server.userinfo_signing_alg_values_supported.filter(
          (a): a is string => typeof a === 'string' && ACCEPTED_ALGORITHMS.includes(a),
        )
      : algorithms;
    const metadata: OidcDiscovery = {
      issuer: server.issuer,
      jwksUri: jwksUrl.href,
      authorizationEndpoint: optionalUrl(server.authorization_endpoint),
      tokenEndpoint: optionalUrl(server.token_endpoint),
      introspectionEndpoint: optionalUrl(server.introspection_endpoint),
      userinfoEndpoint: optionalUrl(server.userinfo_endpoint),
      algorithms,
      userinfoAlgorithms,
      server,
    };
    const jwks = remoteJwks(jwksUrl, {
      upstream: 'company-idp',
      fetch: this.options.fetch,
      timeoutMs: this.options.timeoutMs,
      cooldownMs: this.options.jwksCooldownMs,
    });
    return { metadata, jwks };
  }
}

/** Endpoints from discovery must be https (or http on loopback, for emulators). */
function safeUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UpstreamError('company-idp', 'bad-response');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new UpstreamError('company-idp', 'bad-response');
  }
  return url;
}

function optionalUrl(value: unknown): string | undefined {
  return typeof value === 'string' ? safeUrl(value).href : undefined;
}
