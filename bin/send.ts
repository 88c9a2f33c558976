/**
 * `npm run send -- --to members.csv --message message.json [--dry-run] [--api URL]
 * [--idempotency-key KEY]`: messages to members by company user ID, from a terminal, directly
 * or through `POST /admin/messages`. Each run prints its idempotency key; running a failed send
 * again with `--idempotency-key` sends nothing twice. `npm run send -- --help` lists the options.
 */
import { runSendCli } from '../functions/messages/send-cli.js';

process.exitCode = await runSendCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
