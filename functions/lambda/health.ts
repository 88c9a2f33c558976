import { health } from '../composition/handlers/health.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `health` function (functions/handlers/health.ts), built at cold start. */
export const handler = health(lambdaWiring());
