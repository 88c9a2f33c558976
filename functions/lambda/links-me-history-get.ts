import { linksMeHistoryGet } from '../composition/handlers/links-me-history-get.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `links-me-history-get` function (functions/handlers/links-me-history-get.ts), built at cold start. */
export const handler = linksMeHistoryGet(lambdaWiring());
