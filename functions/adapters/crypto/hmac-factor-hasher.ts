import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { MEMBER_FACTOR_NAMES, type FactorValues } from '../../core/member-factors.js';
import type { FactorHashes, FactorHasher } from '../../core/ports/index.js';
import { cachedPromise } from '../cached-promise.js';

/** Options of {@link HmacFactorHasher}. */
export interface HmacFactorHasherOptions {
  /**
   * Shortest pepper accepted (the deployment's rule, functions/config.ts `MIN_PEPPER_LENGTH`);
   * a shorter one is refused when it is read, so a Secrets Manager value is checked too.
   * Default 16.
   */
  minPepperLength?: number;
}

/** A pepper shorter than the configured minimum; the message names the variable, never the value. */
export class PepperTooShortError extends Error {
  override name = 'PepperTooShortError';
}

/** Version tag inside every hashed message, so a future scheme can coexist with this one. */
const SCHEME = 'line-id-link/member-factor/v1';

/**
 * Keyed hashes of member factors: HMAC-SHA256 with the secret pepper (`MEMBER_HASH_PEPPER`) over
 * `v1 ∖0 factor ∖0 memberId ∖0 normalizedValue`, base64url. Binding the member ID and the
 * factor name into the message makes every stored hash unique to its record, so equal birth
 * dates of different members cannot be spotted, and nothing can be checked without the pepper.
 *
 * The pepper is read once per execution environment (from the environment locally, from Secrets
 * Manager in Lambda); a failed read is retried on the next call. Neither the pepper nor a value
 * is ever logged or put into an error.
 */
export class HmacFactorHasher implements FactorHasher {
  private readonly loadKey: () => Promise<KeyObject>;

  /** @param pepper the pepper itself, or a function that reads it (e.g. a `SecretReader`'s). */
  constructor(pepper: string | (() => Promise<string>), options: HmacFactorHasherOptions = {}) {
    const minLength = options.minPepperLength ?? 16;
    this.loadKey = cachedPromise(async () => {
      const value = typeof pepper === 'string' ? pepper : await pepper();
      if (value.length < minLength) {
        throw new PepperTooShortError(`MEMBER_HASH_PEPPER must be at least ${minLength} characters.`);
      }
      return createSecretKey(Buffer.from(value, 'utf8'));
    });
  }

  async hashFactors(memberId: string, factors: FactorValues): Promise<FactorHashes> {
    const key = await this.loadKey();
    const hashes: FactorHashes = {};
    for (const factor of MEMBER_FACTOR_NAMES) {
      const value = factors[factor];
      if (value === undefined) continue;
      hashes[factor] = createHmac('sha256', key)
        .update(`${SCHEME}\0${factor}\0${memberId}\0${value}`)
        .digest('base64url');
    }
    return hashes;
  }
}
