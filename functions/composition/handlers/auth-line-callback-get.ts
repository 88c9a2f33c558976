import { createAuthLineCallbackGetHandler } from '../../handlers/auth-line-callback-get.js';
import { friendshipStore, webLoginPorts } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `auth-line-callback-get` function's handler, built from a wiring (functions/handlers/auth-line-callback-get.ts). */
export const authLineCallbackGet = (w: Wiring) =>
  createAuthLineCallbackGetHandler({
    ports: webLoginPorts(w),
    friendship: friendshipStore(w),
    web: w.config.web,
  });
