import { createAdminMembersUnlockPostHandler } from '../../handlers/admin-members-unlock-post.js';
import { adminUnlockPorts } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `admin-members-unlock-post` function's handler, built from a wiring (functions/handlers/admin-members-unlock-post.ts). */
export const adminMembersUnlockPost = (w: Wiring) => createAdminMembersUnlockPostHandler(adminUnlockPorts(w));
