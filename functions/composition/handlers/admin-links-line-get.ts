import { createAdminLinksLineGetHandler } from '../../handlers/admin-links-line-get.js';
import { adminLinkPorts } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `admin-links-line-get` function's handler, built from a wiring (functions/handlers/admin-links-line-get.ts). */
export const adminLinksLineGet = (w: Wiring) => createAdminLinksLineGetHandler(adminLinkPorts(w));
