import { createWebhookLinePostHandler } from '../../handlers/webhook-line-post.js';
import { botUserId, lineWebhookPorts, secretReader } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `webhook-line-post` function's handler, built from a wiring (functions/handlers/webhook-line-post.ts). */
export const webhookLinePost = (w: Wiring) =>
  createWebhookLinePostHandler({
    ports: lineWebhookPorts(w),
    channelSecret: secretReader(w).cached('LINE_MESSAGING_CHANNEL_SECRET'),
    bot: botUserId(w),
  });
