import { createAdminLinksCompanyGetHandler } from '../../handlers/admin-links-company-get.js';
import { adminLinkPorts } from '../adapters.js';
import type { Wiring } from '../wiring.js';

/** The `admin-links-company-get` function's handler, built from a wiring (functions/handlers/admin-links-company-get.ts). */
export const adminLinksCompanyGet = (w: Wiring) => createAdminLinksCompanyGetHandler(adminLinkPorts(w));
