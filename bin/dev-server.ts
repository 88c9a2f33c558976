/**
 * `npm start`: the whole service on this machine with no setting at all — the API on
 * http://localhost:3000 (PORT), DynamoDB Local with data in .data/, the LINE Platform and
 * company IdP emulators, and the demo LIFF app. Any variable of the configuration table that is
 * set overrides the local default. One instance per data folder (a lock file in .data/); one
 * line per request.
 */
import { acquireDevLock, DevLockHeldError, type DevLock } from '../functions/local/dev-lock.js';
import { formatDevBanner } from '../functions/local/dev-banner.js';
import { describePatterns, startDevStack } from '../functions/local/dev-stack.js';
import { formatRequestLine } from '../functions/local/local-server.js';

process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}".`);
  process.exit(1);
}

const dataDir = '.data';
// Before anything else: a second `npm start` must not start a second engine on the same files.
let lock: DevLock;
try {
  lock = await acquireDevLock(dataDir, { port });
} catch (error) {
  console.error(
    error instanceof DevLockHeldError
      ? error.message
      : `Could not lock ${dataDir}: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}

try {
  const stack = await startDevStack({
    port,
    dataDir,
    onRequest: (entry) => console.log(formatRequestLine(entry)),
  });
  console.log(
    formatDevBanner({
      demoUrl: stack.demoUrl,
      apiUrl: process.env.PUBLIC_BASE_URL!,
      dynamoEndpoint: stack.dynamoEndpoint,
      lineEmulatorUrl: stack.line?.url,
      lineApiBase: process.env.LINE_API_BASE,
      companyEmulatorUrl: stack.company?.url,
      companyIssuer: process.env.COMPANY_OIDC_ISSUER,
      patterns: describePatterns(process.env),
      adminCredentials: stack.adminCredentials,
    }),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await stack.close();
    await lock.release();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  console.error(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
  await lock.release();
  process.exit(1);
}
