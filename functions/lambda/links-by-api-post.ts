import { linksByApiPost } from '../composition/handlers/links-by-api-post.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `links-by-api-post` function (functions/handlers/links-by-api-post.ts), built at cold start. */
export const handler = linksByApiPost(lambdaWiring());
