import { accountLinkStartGet } from '../composition/handlers/account-link-start-get.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `account-link-start-get` function (functions/handlers/account-link-start-get.ts), built at cold start. */
export const handler = accountLinkStartGet(lambdaWiring());
