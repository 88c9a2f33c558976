import { createFallbackHandler } from '../../handlers/fallback.js';
import type { Wiring } from '../wiring.js';

/** The `fallback` function's handler, built from a wiring (functions/handlers/fallback.ts). */
export const fallback = (w: Wiring) => createFallbackHandler(w.config.deployedRoutes);
