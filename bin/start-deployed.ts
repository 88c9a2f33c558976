/**
 * `npm run start:deployed`: `npm start` with the API served from what `cdk deploy` would upload.
 * The same environment variables and the same emulators, DynamoDB Local data in .data/ and demo
 * page; then the app is synthesized by the pinned CDK CLI into .data/cdk.out with those variables
 * as its settings, and each route runs its function's bundle with the handler, timeout and
 * environment the template gives it. A route the template wires wrong, a variable it forgets or
 * a bundle that fails to load shows up here before the first deployment.
 */
import { runDevCommand } from '../functions/local/dev-command.js';

await runDevCommand('artifacts');
