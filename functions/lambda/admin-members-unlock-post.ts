import { adminMembersUnlockPost } from '../composition/handlers/admin-members-unlock-post.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `admin-members-unlock-post` function (functions/handlers/admin-members-unlock-post.ts), built at cold start. */
export const handler = adminMembersUnlockPost(lambdaWiring());
