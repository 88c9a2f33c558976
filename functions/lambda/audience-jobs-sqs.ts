import { audienceJobsSqs } from '../composition/handlers/audience-jobs-sqs.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `audience-jobs-sqs` function (functions/handlers/audience-jobs-sqs.ts), built at cold start. */
export const handler = audienceJobsSqs(lambdaWiring());
