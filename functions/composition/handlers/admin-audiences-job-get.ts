import { createAdminAudiencesJobGetHandler } from '../../handlers/admin-audiences-job-get.js';
import { audienceJobStore } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `admin-audiences-job-get` function's handler, built from a wiring (functions/handlers/admin-audiences-job-get.ts). */
export const adminAudiencesJobGet = (w: Wiring) =>
  createAdminAudiencesJobGetHandler({ jobs: audienceJobStore(w) });
