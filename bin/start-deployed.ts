/**
 * `npm run start:deployed`: `npm start` with the API served from what `cdk deploy` would upload.
 * The same environment variables and the same emulators, DynamoDB Local data in .data/ and demo
 * page; then the app is synthesized by the pinned CDK CLI into .data/cdk.out with those variables
 * as its settings, and each route runs its function's bundle with the handler, timeout and
 * environment the template gives it. A route the template wires wrong, a variable it forgets or
 * a bundle that fails to load shows up here before the first deployment.
 */
import { acquireDevLock, DevLockHeldError, type DevLock } from '../functions/local/dev-lock.js';
import {
  formatDevBanner,
  formatIamVerdict,
  functionLabel,
  functionLogLine,
} from '../functions/local/dev-banner.js';
import { describePatterns, startDevStack } from '../functions/local/dev-stack.js';
import { formatRequestLine } from '../functions/local/local-server.js';

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}".`);
  process.exit(1);
}

const dataDir = '.data';
// `npm start` and this mode share the data folder: one of them at a time.
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
  console.log('Synthesizing the app with the CDK CLI into .data/cdk.out (about a minute)…');
  const stack = await startDevStack({
    target: 'artifacts',
    port,
    dataDir,
    onRequest: (entry) => console.log(formatRequestLine(entry)),
    onFunctionLog: (line, fn) => {
      const shown = functionLogLine(line, fn.path);
      if (shown) console.log(shown);
    },
  });
  const { app, overlayApplied } = stack.deployed!;
  const label = (logicalId: string) => {
    const fn = app.functions.find((f) => f.logicalId === logicalId)!;
    return { name: functionLabel(fn.path), assetDir: fn.assetDir };
  };
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
      deployed: {
        outdir: `${dataDir}/cdk.out`,
        overlayApplied,
        functions: [
          ...app.httpApi.routes.map((route) => ({
            trigger: route.routeKey,
            ...label(route.functionLogicalId),
          })),
          ...app.eventSources.map((mapping) => ({
            trigger: mapping.source.kind === 'sqs' ? 'SQS queue' : 'DynamoDB stream',
            ...label(mapping.functionLogicalId),
          })),
        ],
      },
    }),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    try {
      const report = await stack.deployed!.iamReport();
      const denied = report.denied.map((d) => ({ ...d, functionName: label(d.functionLogicalId).name }));
      console.log(formatIamVerdict({ checked: report.checked, denied }));
    } catch (error) {
      console.error(`IAM check failed: ${error instanceof Error ? error.message : String(error)}`);
    }
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
