import { linksByRecordPost } from '../composition/handlers/links-by-record-post.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `links-by-record-post` function (functions/handlers/links-by-record-post.ts), built at cold start. */
export const handler = linksByRecordPost(lambdaWiring());
