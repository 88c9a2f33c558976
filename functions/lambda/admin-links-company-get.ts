import { adminLinksCompanyGet } from '../composition/handlers/admin-links-company-get.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `admin-links-company-get` function (functions/handlers/admin-links-company-get.ts), built at cold start. */
export const handler = adminLinksCompanyGet(lambdaWiring());
