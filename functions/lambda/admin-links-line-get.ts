import { adminLinksLineGet } from '../composition/handlers/admin-links-line-get.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `admin-links-line-get` function (functions/handlers/admin-links-line-get.ts), built at cold start. */
export const handler = adminLinksLineGet(lambdaWiring());
