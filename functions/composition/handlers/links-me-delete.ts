import { createLinksMeDeleteHandler } from '../../handlers/links-me-delete.js';
import { deauthorizePorts, lineVerifier, linkRepository } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `links-me-delete` function's handler, built from a wiring (functions/handlers/links-me-delete.ts). */
export const linksMeDelete = (w: Wiring) =>
  createLinksMeDeleteHandler({
    line: lineVerifier(w),
    links: linkRepository(w),
    deauthorize: deauthorizePorts(w),
  });
