import { randomBytes } from 'node:crypto';
import type { RandomSource } from '../../core/ports/index.js';

/** The operating system's CSPRNG. */
export const cryptoRandom: RandomSource = {
  hex: (bytes) => randomBytes(bytes).toString('hex'),
};
