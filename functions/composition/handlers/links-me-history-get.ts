import { createLinksMeHistoryGetHandler } from '../../handlers/links-me-history-get.js';
import { auditLog, lineVerifier } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `links-me-history-get` function's handler, built from a wiring (functions/handlers/links-me-history-get.ts). */
export const linksMeHistoryGet = (w: Wiring) =>
  createLinksMeHistoryGetHandler({ line: lineVerifier(w), audit: auditLog(w) });
