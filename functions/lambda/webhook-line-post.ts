import { webhookLinePost } from '../composition/handlers/webhook-line-post.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `webhook-line-post` function (functions/handlers/webhook-line-post.ts), built at cold start. */
export const handler = webhookLinePost(lambdaWiring());
