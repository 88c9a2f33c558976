import { membersImportS3 } from '../composition/handlers/members-import-s3.js';
import { lambdaWiring } from '../composition/lambda-wiring.js';

/** The `members-import-s3` function (functions/handlers/members-import-s3.ts), built at cold start. */
export const handler = membersImportS3(lambdaWiring());
