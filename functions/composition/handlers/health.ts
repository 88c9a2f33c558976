import { createHealthHandler } from '../../handlers/health.js';
import type { Wiring } from '../wiring.js';

/**
 * The `health` function's handler, built from a wiring (functions/handlers/health.ts).
 * Touches no dependency; the wiring still names the service in logs and turns tracing on.
 */
export const health = (_w: Wiring) => createHealthHandler();
