import { createHash } from 'node:crypto';
import type { LineIdentity } from '../../core/link.js';
import { type Clock, type LineIdentityVerifier, systemClock } from '../../core/ports/index.js';

/** Options of {@link CachedLineTokenVerifier}. */
export interface CachedLineTokenVerifierOptions {
  /**
   * The channel ID(s) the wrapped verifier accepts as `aud` / `client_id`. They are part of every
   * cache key, so a success recorded under another channel list is never found again.
   */
  channelIds: string | readonly string[];
  /** Most entries kept; the least recently used one is dropped first. */
  maxEntries?: number;
  /**
   * Longest an ID token's success is reused, whatever its `exp`: it bounds how long a key
   * removed from LINE's JWKS keeps vouching for a token it signed.
   */
  idTokenMaxTtlMs?: number;
  /** How long an access token's success is reused: LINE can revoke access tokens at any time. */
  accessTokenTtlMs?: number;
  clock?: Clock;
}

/** Bearer tokens longer than this are never cached (the wrapped verifier refuses them anyway). */
const MAX_CACHED_TOKEN_LENGTH = 4096;

interface Entry {
  identity: LineIdentity;
  /** Epoch milliseconds; the entry is not served at or after this instant. */
  expiresAt: number;
}

/**
 * A verified-token cache in front of a {@link LineIdentityVerifier}, as API gateways keep one
 * (Envoy's JWT filter caches verified tokens the same way): a LIFF app sends the same ID token
 * on every call for up to an hour, and each access token check costs two calls to LINE.
 *
 * - Only successes are stored. A refused token, or a failure to reach LINE, reaches the caller
 *   and leaves nothing behind: the next request is verified from scratch.
 * - The key is SHA-256 of the accepted channel list and the whole token: a token that differs in
 *   one byte is a different key, and the token itself is never kept in memory.
 * - An entry expires when the credential does (the identity's `expiresAt`: an ID token's `exp`,
 *   an access token's `expires_in` from LINE), and sooner: an ID token's after `idTokenMaxTtlMs`,
 *   an access token's after `accessTokenTtlMs`. An identity without `expiresAt` is not kept. The
 *   cache never extends a token's life, only skips repeated work within it.
 * - Bounded: a least-recently-used map of at most `maxEntries`.
 *
 * Keep one per execution environment (module scope), like the JWKS cache it sits in front of.
 */
export class CachedLineTokenVerifier implements LineIdentityVerifier {
  private readonly entries = new Map<string, Entry>();
  private readonly keyPrefix: string;
  private readonly maxEntries: number;
  private readonly idTokenMaxTtlMs: number;
  private readonly accessTokenTtlMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly inner: LineIdentityVerifier,
    options: CachedLineTokenVerifierOptions,
  ) {
    const channels = typeof options.channelIds === 'string' ? [options.channelIds] : [...options.channelIds];
    this.keyPrefix = `${[...new Set(channels)].sort().join(',')}\n`;
    this.maxEntries = options.maxEntries ?? 1000;
    this.idTokenMaxTtlMs = options.idTokenMaxTtlMs ?? 5 * 60_000;
    this.accessTokenTtlMs = options.accessTokenTtlMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
    if (!(this.maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
  }

  /** Number of entries held (expired ones included until they are looked up or evicted). */
  get size(): number {
    return this.entries.size;
  }

  async verifyBearer(token: string): Promise<LineIdentity> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_CACHED_TOKEN_LENGTH) {
      return this.inner.verifyBearer(token);
    }
    const key = createHash('sha256').update(this.keyPrefix).update(token).digest('base64url');
    const now = this.clock.now().getTime();
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      if (now < hit.expiresAt) {
        this.entries.set(key, hit); // most recently used goes last
        return { ...hit.identity };
      }
    }
    const identity = await this.inner.verifyBearer(token);
    const expiresAt = this.expiryOf(identity, this.clock.now().getTime());
    if (expiresAt !== undefined) this.store(key, { identity: { ...identity }, expiresAt });
    return identity;
  }

  private expiryOf(identity: LineIdentity, now: number): number | undefined {
    const ttl =
      identity.via === 'id-token'
        ? this.idTokenMaxTtlMs
        : identity.via === 'access-token'
          ? this.accessTokenTtlMs
          : undefined;
    if (ttl === undefined || typeof identity.expiresAt !== 'number' || !Number.isFinite(identity.expiresAt)) {
      return undefined;
    }
    const expiresAt = Math.min(identity.expiresAt * 1000, now + ttl);
    return expiresAt > now ? expiresAt : undefined;
  }

  private store(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
