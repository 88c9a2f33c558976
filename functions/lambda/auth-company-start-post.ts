import { authCompanyStartPost } from '../composition/handlers/auth-company-start-post.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `auth-company-start-post` function (functions/handlers/auth-company-start-post.ts), built at cold start. */
export const handler = authCompanyStartPost(lambdaWiring());
