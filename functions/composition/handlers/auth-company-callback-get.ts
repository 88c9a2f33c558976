import { createAuthCompanyCallbackGetHandler } from '../../handlers/auth-company-callback-get.js';
import {
  accountLinkNonces,
  auditLog,
  linkRepository,
  linkTokenDirectory,
  webLoginPorts,
} from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `auth-company-callback-get` function's handler, built from a wiring (functions/handlers/auth-company-callback-get.ts). */
export const authCompanyCallbackGet = (w: Wiring) =>
  createAuthCompanyCallbackGetHandler({
    ports: {
      ...webLoginPorts(w),
      links: linkRepository(w),
      audit: auditLog(w),
      // Pattern 4 shares this callback: its sessions end at LINE's account-link dialog.
      nonces: accountLinkNonces(w),
      linkTokens: linkTokenDirectory(w),
      lineAuthBase: w.config.line.authBase,
      messaging: { nonceTtlSeconds: w.config.accountLinkNonceTtlSeconds },
    },
    web: w.config.web,
  });
