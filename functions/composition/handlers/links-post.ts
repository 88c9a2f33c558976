import { systemClock } from '../../core/ports/index.js';
import { createLinksPostHandler } from '../../handlers/links-post.js';
import {
  auditLog,
  companyAccessTokenVerifier,
  companyVerifier,
  friendshipStatusApi,
  friendshipStore,
  linePlatform,
  lineVerifier,
  linkRepository,
} from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `links-post` function's handler, built from a wiring (functions/handlers/links-post.ts). */
export const linksPost = (w: Wiring) =>
  createLinksPostHandler({
    line: lineVerifier(w),
    company: companyVerifier(w),
    companyAccessTokens: companyAccessTokenVerifier(w),
    links: linkRepository(w),
    clock: systemClock,
    audit: auditLog(w),
    friendship: friendshipStore(w),
    lineTokenShape: linePlatform(w),
    friendshipStatus: friendshipStatusApi(w),
    settings: {
      companyIdTokenMaxAgeSeconds: w.config.companyIdTokenMaxAgeSeconds,
      requireLineNonce: w.config.linkNonce.required,
    },
  });
