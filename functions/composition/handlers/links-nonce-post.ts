import { cryptoRandom } from '../../adapters/crypto/crypto-random.js';
import { systemClock } from '../../core/ports/index.js';
import { createLinksNoncePostHandler } from '../../handlers/links-nonce-post.js';
import { linkNonceStore } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `links-nonce-post` function's handler, built from a wiring (functions/handlers/links-nonce-post.ts). */
export const linksNoncePost = (w: Wiring) =>
  createLinksNoncePostHandler({
    nonces: linkNonceStore(w),
    random: cryptoRandom,
    clock: systemClock,
    settings: { ttlSeconds: w.config.linkNonce.ttlSeconds },
  });
