import { createAuthCompanyStartPostHandler } from '../../handlers/auth-company-start-post.js';
import { lineVerifier, webLoginPorts } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `auth-company-start-post` function's handler, built from a wiring (functions/handlers/auth-company-start-post.ts). */
export const authCompanyStartPost = (w: Wiring) =>
  createAuthCompanyStartPostHandler({
    ports: { ...webLoginPorts(w), line: lineVerifier(w) },
    web: w.config.web,
  });
