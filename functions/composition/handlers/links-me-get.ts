import { createLinksMeGetHandler } from '../../handlers/links-me-get.js';
import { lineVerifier, linkRepository } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `links-me-get` function's handler, built from a wiring (functions/handlers/links-me-get.ts). */
export const linksMeGet = (w: Wiring) =>
  createLinksMeGetHandler({ line: lineVerifier(w), links: linkRepository(w) });
