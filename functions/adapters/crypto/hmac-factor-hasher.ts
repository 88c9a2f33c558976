import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { ConfigError, MIN_PEPPER_LENGTH } from '../../config.js';
import { MEMBER_FACTOR_NAMES, type FactorValues } from '../../core/member-factors.js';
import type { FactorHashes, FactorHasher } from '../../core/ports/index.js';

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
  private key: Promise<KeyObject> | undefined;

  /** @param pepper the pepper itself, or a function that reads it (e.g. `() => readSecret('MEMBER_HASH_PEPPER')`). */
  constructor(private readonly pepper: string | (() => Promise<string>)) {}

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

  private loadKey(): Promise<KeyObject> {
    this.key ??= (async () => {
      const pepper = typeof this.pepper === 'string' ? this.pepper : await this.pepper();
      if (pepper.length < MIN_PEPPER_LENGTH) {
        throw new ConfigError(`MEMBER_HASH_PEPPER must be at least ${MIN_PEPPER_LENGTH} characters.`);
      }
      return createSecretKey(Buffer.from(pepper, 'utf8'));
    })().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }
}
