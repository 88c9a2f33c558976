import { authLineCallbackGet } from '../composition/handlers/auth-line-callback-get.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `auth-line-callback-get` function (functions/handlers/auth-line-callback-get.ts), built at cold start. */
export const handler = authLineCallbackGet(lambdaWiring());
