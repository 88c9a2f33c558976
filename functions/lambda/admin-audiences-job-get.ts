import { adminAudiencesJobGet } from '../composition/handlers/admin-audiences-job-get.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `admin-audiences-job-get` function (functions/handlers/admin-audiences-job-get.ts), built at cold start. */
export const handler = adminAudiencesJobGet(lambdaWiring());
