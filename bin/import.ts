/**
 * `npm run import -- members.csv [--encoding shift_jis] [--columns memberId=会員番号,…]
 * [--delete-missing --yes|--dry-run] […]` (`--help` lists all): imports member records for pattern 3
 * (docs/member-data.md). Against the local DynamoDB Local of `npm start` by default.
 * Ctrl+C stops cleanly and saves the resume point; a second Ctrl+C exits at once.
 */
import { runImportCli } from '../functions/import/import-cli.js';

const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130);
  process.stderr.write('\nStopping after the batches in flight (Ctrl+C again to quit at once)…\n');
  controller.abort();
});

process.exitCode = await runImportCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
