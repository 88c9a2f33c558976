import { webhookWorkSqs } from '../composition/handlers/webhook-work-sqs.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `webhook-work-sqs` function (functions/handlers/webhook-work-sqs.ts), built at cold start. */
export const handler = webhookWorkSqs(lambdaWiring());
