import { adminAudiencesPost } from '../composition/handlers/admin-audiences-post.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `admin-audiences-post` function (functions/handlers/admin-audiences-post.ts), built at cold start. */
export const handler = adminAudiencesPost(lambdaWiring());
