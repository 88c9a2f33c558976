import { fallback } from '../composition/handlers/fallback.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `fallback` function (functions/handlers/fallback.ts), built at cold start. */
export const handler = fallback(lambdaWiring());
