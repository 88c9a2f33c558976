import { messagesBatchSqs } from '../composition/handlers/messages-batch-sqs.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `messages-batch-sqs` function (functions/handlers/messages-batch-sqs.ts), built at cold start. */
export const handler = messagesBatchSqs(lambdaWiring());
