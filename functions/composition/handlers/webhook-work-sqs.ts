import { createWebhookWorkSqsHandler } from '../../handlers/webhook-work-sqs.js';
import { webhookWorkPorts } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `webhook-work-sqs` function's handler, built from a wiring (functions/handlers/webhook-work-sqs.ts). */
export const webhookWorkSqs = (w: Wiring) => createWebhookWorkSqsHandler(webhookWorkPorts(w));
