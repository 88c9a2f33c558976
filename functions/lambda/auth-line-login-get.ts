import { authLineLoginGet } from '../composition/handlers/auth-line-login-get.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `auth-line-login-get` function (functions/handlers/auth-line-login-get.ts), built at cold start. */
export const handler = authLineLoginGet(lambdaWiring());
