/**
 * `npm run audience -- --members members.csv (--description "…" | --audience-group-id N)
 * [--api URL] [--idempotency-key KEY]`: a LINE audience from members, through
 * `POST /admin/audiences`, followed to its end. `npm run audience -- --help` lists the options.
 */
import { runAudienceCli } from '../functions/audiences/audience-cli.js';

process.exitCode = await runAudienceCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
