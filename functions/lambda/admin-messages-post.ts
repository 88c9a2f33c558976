import { adminMessagesPost } from '../composition/handlers/admin-messages-post.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `admin-messages-post` function (functions/handlers/admin-messages-post.ts), built at cold start. */
export const handler = adminMessagesPost(lambdaWiring());
