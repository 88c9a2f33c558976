import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { Command } from 'commander';
import { acquireDevLock, DevLockHeldError, type DevLock } from './dev-lock.js';
import { formatDevBanner, formatIamVerdict, functionLabel, functionLogLine } from './dev-banner.js';
import { describePatterns, DEV_DEFAULTS, startDevStack, type DevStack } from './dev-stack.js';
import { formatRequestLine } from './local-server.js';

/**
 * `npm start` (`source`: the handlers from the source) and `npm run start:deployed`
 * (`artifacts`: the bundles of a CLI-synthesized .data/cdk.out), one command line: the port
 * from PORT, one instance per data folder (a lock file in .data/), one line per request, the
 * banner, and Ctrl+C stopping everything. Only the mode's own lines differ.
 *
 * The console shows one line per request and nothing else: `npm start` keeps the functions'
 * structured logs in .data/logs/<date>.jsonl (named in the banner), and `--verbose` prints them
 * too; `npm run start:deployed` prints its functions' warnings and errors, `--verbose` all
 * their lines.
 */
export async function runDevCommand(
  target: 'source' | 'artifacts',
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const { verbose = false } = new Command(target === 'source' ? 'npm start --' : 'npm run start:deployed --')
    .option(
      '--verbose',
      target === 'source'
        ? "print the functions' structured JSON logs too, not only to the log file"
        : 'print every line the functions write, not only warnings and errors',
    )
    .parse(argv, { from: 'user' })
    .opts<{ verbose?: boolean }>();
  if (target === 'source') {
    // Powertools' own switches, read by Powertools from this process: readable logs, no metrics.
    process.env.POWERTOOLS_DEV ??= 'true';
    process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
  }
  // The service's environment: this command's, completed by the stack (emulators, tables, URLs).
  const env: NodeJS.ProcessEnv = { ...process.env };
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number, got "${env.PORT}".`);
    process.exit(1);
  }

  const dataDir = '.data';
  // Before anything else: a second start (of either mode) must not start a second engine on the same files.
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

  let logFile: { path: string; stream: WriteStream } | undefined;
  if (target === 'source') {
    const path = `${dataDir}/logs/${new Date().toISOString().slice(0, 10)}.jsonl`;
    mkdirSync(`${dataDir}/logs`, { recursive: true });
    logFile = { path, stream: createWriteStream(path, { flags: 'a' }) };
  }

  try {
    if (target === 'artifacts')
      console.log('Synthesizing the app with the CDK CLI into .data/cdk.out (about a minute)…');
    const stack = await startDevStack({
      target,
      env,
      port,
      dataDir,
      onRequest: (entry) => console.log(formatRequestLine(entry)),
      onFunctionLog: (line, fn) => {
        const shown = verbose ? `[${functionLabel(fn.path)}] ${line}` : functionLogLine(line, fn.path);
        if (shown) console.log(shown);
      },
      logOutput:
        logFile &&
        ((line) => {
          logFile.stream.write(`${line}\n`);
          if (verbose) console.log(line);
        }),
    });
    console.log(
      formatDevBanner({
        demoUrl: stack.demoUrl,
        apiUrl: env.PUBLIC_BASE_URL!,
        dynamoEndpoint: stack.dynamoEndpoint,
        lineEmulatorUrl: stack.line?.url,
        lineApiBase: env.LINE_API_BASE,
        companyEmulatorUrl: stack.company?.url,
        companyIssuer: env.COMPANY_OIDC_ISSUER,
        patterns: describePatterns(env),
        adminCredentials: stack.adminCredentials,
        messagingChannel: stack.line && {
          channelId: env.LINE_MESSAGING_CHANNEL_ID!,
          channelSecret:
            env.LINE_MESSAGING_CHANNEL_SECRET === DEV_DEFAULTS.LINE_MESSAGING_CHANNEL_SECRET
              ? env.LINE_MESSAGING_CHANNEL_SECRET
              : '"$LINE_MESSAGING_CHANNEL_SECRET"',
        },
        deployed: stack.deployed && deployedBanner(stack, `${dataDir}/cdk.out`),
        functionLogs: logFile && { file: logFile.path, verbose },
      }),
    );
    let stopping = false;
    const stop = async () => {
      // A second Ctrl+C while stopping: leave at once.
      if (stopping) process.exit(130);
      stopping = true;
      console.log('\nStopping…');
      if (stack.deployed) {
        try {
          const report = await stack.deployed.iamReport();
          const denied = report.denied.map((d) => ({
            ...d,
            functionName: labelOf(stack, d.functionLogicalId).name,
          }));
          console.log(formatIamVerdict({ checked: report.checked, denied }));
        } catch (error) {
          console.error(`IAM check failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      await stack.close();
      if (logFile) await new Promise((resolve) => logFile.stream.end(resolve));
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
}

/** A function's short name and asset folder, for the banner and the IAM verdict. */
function labelOf(stack: DevStack, logicalId: string) {
  const fn = stack.deployed!.app.functions.find((f) => f.logicalId === logicalId)!;
  return { name: functionLabel(fn.path), assetDir: fn.assetDir };
}

/** The banner's lines of the artifacts mode: each route and event source with its bundle, the overlay. */
function deployedBanner(stack: DevStack, outdir: string) {
  const { app, overlayApplied } = stack.deployed!;
  return {
    outdir,
    overlayApplied,
    functions: [
      ...app.httpApi.routes.map((route) => ({
        trigger: route.routeKey,
        ...labelOf(stack, route.functionLogicalId),
      })),
      ...app.eventSources.map((mapping) => ({
        trigger: mapping.source.kind === 'sqs' ? 'SQS queue' : 'DynamoDB stream',
        ...labelOf(stack, mapping.functionLogicalId),
      })),
    ],
  };
}
