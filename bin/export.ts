/**
 * `npm run export -- [options]`: exports the links (or the audit trail) to CSV / JSONL with a
 * parallel Scan, or starts DynamoDB's export to S3. `npm run export -- --help` lists the options;
 * docs/export.md explains when to use which.
 */
import { runExportCli } from '../functions/export/cli.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('Interrupted.')));
// `npm run export | head` closes stdout early: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') controller.abort(new Error('Output closed.'));
});

process.exitCode = await runExportCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
