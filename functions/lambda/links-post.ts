import { linksPost } from '../composition/handlers/links-post.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `links-post` function (functions/handlers/links-post.ts), built at cold start. */
export const handler = linksPost(lambdaWiring());
