import { createAudienceJobsSqsHandler } from '../../handlers/audience-jobs-sqs.js';
import { audienceJobPorts, audienceQueue } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `audience-jobs-sqs` function's handler, built from a wiring (functions/handlers/audience-jobs-sqs.ts). */
export const audienceJobsSqs = (w: Wiring) =>
  createAudienceJobsSqsHandler({ ...audienceJobPorts(w), queue: audienceQueue(w) });
