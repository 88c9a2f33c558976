import { linksStream } from '../composition/handlers/links-stream.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `links-stream` function (functions/handlers/links-stream.ts), built at cold start. */
export const handler = linksStream(lambdaWiring());
