/**
 * `npm run import -- members.csv [--encoding shift_jis] [--columns memberId=会員番号,…]
 * [--delete-missing --yes|--dry-run] […]` (`--help` lists all): imports member records for pattern 3
 * (docs/member-data.md). Against the local DynamoDB Local of `npm start` by default.
 * Ctrl+C stops cleanly and saves the resume point; a second Ctrl+C exits at once.
 *
 * `npm run import` runs this file with `node --import tsx`, not the `tsx` command: that command
 * is a parent process that relays signals and SIGKILLs its child when the child does not
 * acknowledge a signal within a few tens of milliseconds (a busy import under load), which
 * would lose the resume point.
 */
import { runImportCli } from '../functions/import/import-cli.js';

const controller = new AbortController();
/**
 * Ctrl+C in a terminal sends SIGINT to every process of the foreground process group, and npm
 * forwards the signal it got to its child as well: one key press can reach this process two
 * or three times within milliseconds. Signals within this window of the first are that same
 * Ctrl+C; only a later one is the operator asking to quit at once.
 */
const SAME_CTRL_C_MS = 1500;
let firstSignalAt: number | undefined;
process.on('SIGINT', () => {
  if (firstSignalAt === undefined) {
    firstSignalAt = performance.now();
    process.stderr.write('\nStopping after the batches in flight (Ctrl+C again to quit at once)…\n');
    controller.abort();
    return;
  }
  if (performance.now() - firstSignalAt >= SAME_CTRL_C_MS) process.exit(130);
});

process.exitCode = await runImportCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
