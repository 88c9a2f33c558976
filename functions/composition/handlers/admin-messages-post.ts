import { randomUUID } from 'node:crypto';
import { systemClock } from '../../core/ports/index.js';
import { createAdminMessagesPostHandler } from '../../handlers/admin-messages-post.js';
import {
  auditLog,
  linkRepository,
  messageIdempotency,
  messageJobStore,
  messageQueue,
  multicastSender,
} from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `admin-messages-post` function's handler, built from a wiring (functions/handlers/admin-messages-post.ts). */
export const adminMessagesPost = (w: Wiring) =>
  createAdminMessagesPostHandler({
    links: linkRepository(w),
    sender: multicastSender(w),
    jobs: messageJobStore(w),
    queue: messageQueue(w),
    audit: auditLog(w),
    clock: systemClock,
    idempotency: messageIdempotency(w),
    newId: () => randomUUID(),
  });
