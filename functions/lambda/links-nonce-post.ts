import { linksNoncePost } from '../composition/handlers/links-nonce-post.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `links-nonce-post` function (functions/handlers/links-nonce-post.ts), built at cold start. */
export const handler = linksNoncePost(lambdaWiring());
