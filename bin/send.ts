/**
 * `npm run send -- --to members.csv --message message.json [--dry-run]`: messages to members by
 * company user ID, from a terminal. `npm run send -- --help` lists the options.
 */
import { runSendCli } from '../functions/messages/send-cli.js';

process.exitCode = await runSendCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
