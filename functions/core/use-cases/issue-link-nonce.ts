import type { Clock, LinkNonceStore, RandomSource } from '../ports/index.js';

/** 256 bits: LINE's nonce is any string; a guess of an unused one must be hopeless. */
const NONCE_BYTES = 32;

/** Ports of {@link issueLinkNonce}. */
export interface IssueLinkNoncePorts {
  nonces: LinkNonceStore;
  random: RandomSource;
  clock: Clock;
  settings: {
    /** LINK_NONCE_TTL_SECONDS: how long the app has to log in to LINE with it and link. */
    ttlSeconds: number;
  };
}

/**
 * `POST /links/nonce` (seed 001, LINE's "Creating a secure login process between your app and
 * server"): a fresh nonce the app hands to the LINE SDK's login (iOS `IDTokenNonce`, Android
 * `LineAuthenticationParams.nonce`), so the ID token it sends to `POST /links` carries it. The
 * service keeps it until it expires or a link uses it up, so a captured ID token cannot link
 * again and an ID token obtained without asking this service cannot link at all.
 *
 * It is bound to the response: only the caller that received it can give it to LINE, and it
 * proves nothing on its own (the ID token LINE signs around it is the proof). Issuing needs no
 * credential, so what an anonymous caller can make is bounded: each nonce is one small item that
 * DynamoDB's TTL removes after `ttlSeconds`.
 * @returns the nonce (base64url, 43 characters) and when it expires (ISO 8601).
 */
export async function issueLinkNonce(
  ports: IssueLinkNoncePorts,
): Promise<{ nonce: string; expiresAt: string }> {
  const nonce = Buffer.from(ports.random.hex(NONCE_BYTES), 'hex').toString('base64url');
  const expiresAtSec = Math.floor(ports.clock.now().getTime() / 1000) + ports.settings.ttlSeconds;
  await ports.nonces.create({ nonce, expiresAt: expiresAtSec });
  return { nonce, expiresAt: new Date(expiresAtSec * 1000).toISOString() };
}
