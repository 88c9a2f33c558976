import { adminMessagesJobGet } from '../composition/handlers/admin-messages-job-get.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `admin-messages-job-get` function (functions/handlers/admin-messages-job-get.ts), built at cold start. */
export const handler = adminMessagesJobGet(lambdaWiring());
