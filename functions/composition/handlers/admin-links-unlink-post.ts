import { createAdminLinksUnlinkPostHandler } from '../../handlers/admin-links-unlink-post.js';
import { adminUnlinkPorts } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `admin-links-unlink-post` function's handler, built from a wiring (functions/handlers/admin-links-unlink-post.ts). */
export const adminLinksUnlinkPost = (w: Wiring) => createAdminLinksUnlinkPostHandler(adminUnlinkPorts(w));
