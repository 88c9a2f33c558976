import { randomUUID } from 'node:crypto';
import { systemClock } from '../../core/ports/index.js';
import { createAdminAudiencesPostHandler } from '../../handlers/admin-audiences-post.js';
import { audienceJobStore, audienceQueue, auditLog, messageIdempotency } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `admin-audiences-post` function's handler, built from a wiring (functions/handlers/admin-audiences-post.ts). */
export const adminAudiencesPost = (w: Wiring) =>
  createAdminAudiencesPostHandler({
    jobs: audienceJobStore(w),
    queue: audienceQueue(w),
    audit: auditLog(w),
    clock: systemClock,
    idempotency: messageIdempotency(w),
    newId: () => randomUUID(),
  });
