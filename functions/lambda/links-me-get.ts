import { linksMeGet } from '../composition/handlers/links-me-get.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `links-me-get` function (functions/handlers/links-me-get.ts), built at cold start. */
export const handler = linksMeGet(lambdaWiring());
