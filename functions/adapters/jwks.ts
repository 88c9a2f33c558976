import { errors } from 'jose';
import { InvalidTokenError, UpstreamError, type TokenRealm, type Upstream } from '../core/errors.js';

/**
 * Translates whatever `jwtVerify` with a remote JWKS threw into the domain: problems with the
 * token become InvalidTokenError (401), problems reaching or reading the key set become
 * UpstreamError (fail closed, 502/503).
 */
export function translateJwtError(error: unknown, realm: TokenRealm, upstream: Upstream): Error {
  if (error instanceof InvalidTokenError || error instanceof UpstreamError) return error;
  if (error instanceof errors.JWKSTimeout) return new UpstreamError(upstream, 'unavailable', { cause: error });
  if (error instanceof errors.JWKSInvalid) return new UpstreamError(upstream, 'bad-response', { cause: error });
  if (error instanceof errors.JOSEError) {
    // jose raises the generic JOSEError only for a non-200 JWKS response.
    if (error.code === 'ERR_JOSE_GENERIC') return new UpstreamError(upstream, 'unavailable', { cause: error });
    return new InvalidTokenError(realm, error.message, { cause: error });
  }
  // Network failures surface as TypeError from fetch; anything else unexpected also fails closed.
  return new UpstreamError(upstream, 'unavailable', { cause: error });
}
