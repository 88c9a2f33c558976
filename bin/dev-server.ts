/**
 * `npm start`: the whole service on this machine with no setting at all — the API on
 * http://localhost:3000 (PORT), DynamoDB Local with data in .data/, the LINE Platform and
 * company IdP emulators, and the demo LIFF app. Any variable of the configuration table that is
 * set overrides the local default. One instance per data folder (a lock file in .data/); one
 * line per request.
 */
import { runDevCommand } from '../functions/local/dev-command.js';

await runDevCommand('source');
