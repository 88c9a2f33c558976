import { createHmac } from 'node:crypto';

/** Environment variable (or `_ARN` for a Secrets Manager secret) holding the pseudonym key. */
export const PSEUDONYM_KEY_VARIABLE = 'EXPORT_PSEUDONYM_KEY';

/** Shorter keys are refused: a guessable key makes the pseudonyms reversible by brute force. */
export const MIN_PSEUDONYM_KEY_LENGTH = 32;

/**
 * A keyed pseudonym for LINE user IDs: HMAC-SHA256 of the ID under a secret key, as 64 lowercase
 * hex characters. The same key gives the same pseudonym on every run and in every file (links
 * and audit exports join on it); without the key the raw ID cannot be recovered or confirmed,
 * which a plain hash of a LINE ID (a small, structured space) would not resist.
 */
export function createPseudonymizer(key: string): (lineUserId: string) => string {
  if (key.length < MIN_PSEUDONYM_KEY_LENGTH) {
    throw new Error(
      `The pseudonym key must be at least ${MIN_PSEUDONYM_KEY_LENGTH} characters (for example: openssl rand -hex 32).`,
    );
  }
  const keyBytes = Buffer.from(key, 'utf8');
  return (lineUserId) => createHmac('sha256', keyBytes).update(lineUserId, 'utf8').digest('hex');
}
