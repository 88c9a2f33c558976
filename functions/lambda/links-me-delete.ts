import { linksMeDelete } from '../composition/handlers/links-me-delete.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `links-me-delete` function (functions/handlers/links-me-delete.ts), built at cold start. */
export const handler = linksMeDelete(lambdaWiring());
