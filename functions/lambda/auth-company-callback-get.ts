import { authCompanyCallbackGet } from '../composition/handlers/auth-company-callback-get.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `auth-company-callback-get` function (functions/handlers/auth-company-callback-get.ts), built at cold start. */
export const handler = authCompanyCallbackGet(lambdaWiring());
