import { createAuthLineLoginGetHandler } from '../../handlers/auth-line-login-get.js';
import { webLoginPorts } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `auth-line-login-get` function's handler, built from a wiring (functions/handlers/auth-line-login-get.ts). */
export const authLineLoginGet = (w: Wiring) =>
  createAuthLineLoginGetHandler({ ports: webLoginPorts(w), web: w.config.web });
