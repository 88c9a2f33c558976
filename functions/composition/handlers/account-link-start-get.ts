import { createAccountLinkStartGetHandler } from '../../handlers/account-link-start-get.js';
import { linkTokenDirectory, webLoginPorts } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `account-link-start-get` function's handler, built from a wiring (functions/handlers/account-link-start-get.ts). */
export const accountLinkStartGet = (w: Wiring) =>
  createAccountLinkStartGetHandler({
    ports: { ...webLoginPorts(w), linkTokens: linkTokenDirectory(w) },
    web: w.config.web,
  });
