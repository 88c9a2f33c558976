import { createRemoteJWKSet, customFetch, errors } from 'jose';
import { InvalidTokenError, UpstreamError, type TokenRealm, type Upstream } from '../core/errors.js';
import type { FetchLike } from './http/fetch-with-timeout.js';

/** Options of {@link remoteJwks}. */
export interface RemoteJwksOptions {
  upstream: Upstream;
  fetch: FetchLike;
  timeoutMs: number;
  /** Minimum time between two fetches, whatever the traffic (an unknown `kid` waits for it). */
  cooldownMs: number;
  /** How long fetched keys are trusted before they are fetched again. */
  cacheMaxAgeMs?: number;
}

/**
 * A cached remote JWKS (jose) whose fetch classifies failures itself: a 5xx or 429 is the
 * upstream being unavailable (503), any other non-200 or a body that is not a key set is a bad
 * response (502). Keep one per execution environment so the cache survives invocations.
 */
export function remoteJwks(url: URL, options: RemoteJwksOptions): ReturnType<typeof createRemoteJWKSet> {
  return createRemoteJWKSet(url, {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: options.cooldownMs,
    ...(options.cacheMaxAgeMs === undefined ? {} : { cacheMaxAge: options.cacheMaxAgeMs }),
    [customFetch]: async (input, init) => {
      const response = await options.fetch(input, { ...init, redirect: 'error' });
      if (response.status >= 500 || response.status === 429)
        throw new UpstreamError(options.upstream, 'unavailable');
      if (response.status !== 200) throw new UpstreamError(options.upstream, 'bad-response');
      const text = await response.text();
      try {
        const body: unknown = JSON.parse(text);
        if (typeof body !== 'object' || body === null || !Array.isArray((body as { keys?: unknown }).keys))
          throw new Error();
      } catch {
        throw new UpstreamError(options.upstream, 'bad-response');
      }
      return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
}

/**
 * Translates whatever `jwtVerify` with a remote JWKS threw into the domain: problems with the
 * token become InvalidTokenError (401), problems reaching or reading the key set become
 * UpstreamError (fail closed, 502/503).
 */
export function translateJwtError(error: unknown, realm: TokenRealm, upstream: Upstream): Error {
  if (error instanceof InvalidTokenError || error instanceof UpstreamError) return error;
  if (error instanceof errors.JWKSTimeout)
    return new UpstreamError(upstream, 'unavailable', { cause: error });
  if (error instanceof errors.JWKSInvalid)
    return new UpstreamError(upstream, 'bad-response', { cause: error });
  if (error instanceof errors.JOSEError) {
    // The generic JOSEError comes from the key set fetch, never from the token itself.
    if (error.code === 'ERR_JOSE_GENERIC')
      return new UpstreamError(upstream, 'unavailable', { cause: error });
    return new InvalidTokenError(realm, error.message, { cause: error });
  }
  // Network failures surface as TypeError from fetch; anything else unexpected also fails closed.
  return new UpstreamError(upstream, 'unavailable', { cause: error });
}
