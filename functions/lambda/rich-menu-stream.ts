import { richMenuStream } from '../composition/handlers/rich-menu-stream.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `rich-menu-stream` function (functions/handlers/rich-menu-stream.ts), built at cold start. */
export const handler = richMenuStream(lambdaWiring());
