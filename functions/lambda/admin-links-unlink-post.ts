import { adminLinksUnlinkPost } from '../composition/handlers/admin-links-unlink-post.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `admin-links-unlink-post` function (functions/handlers/admin-links-unlink-post.ts), built at cold start. */
export const handler = adminLinksUnlinkPost(lambdaWiring());
