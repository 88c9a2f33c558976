/** What the core needs from the machine it runs on: time and randomness. */

/** Time source; tests freeze it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Cryptographically secure randomness. */
export interface RandomSource {
  /** `bytes` random bytes as lowercase hex (alphanumeric, safe in URLs, cookies and PKCE). */
  hex(bytes: number): string;
}
