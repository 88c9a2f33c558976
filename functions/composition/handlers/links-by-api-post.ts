import { createLinksByApiPostHandler } from '../../handlers/links-by-api-post.js';
import { companyApi, guardedMemberLinkPorts } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `links-by-api-post` function's handler, built from a wiring (functions/handlers/links-by-api-post.ts). */
export const linksByApiPost = (w: Wiring) =>
  createLinksByApiPostHandler(
    w.config.patterns.companyApi ? { ...guardedMemberLinkPorts(w), company: companyApi(w) } : undefined,
  );
