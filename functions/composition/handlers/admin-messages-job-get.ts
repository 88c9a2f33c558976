import { createAdminMessagesJobGetHandler } from '../../handlers/admin-messages-job-get.js';
import { messageJobStore } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `admin-messages-job-get` function's handler, built from a wiring (functions/handlers/admin-messages-job-get.ts). */
export const adminMessagesJobGet = (w: Wiring) =>
  createAdminMessagesJobGetHandler({ jobs: messageJobStore(w) });
