import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamo/dynamo-client.js';
import { loadDynamoConfig, tableName } from '../functions/config.js';
import { taggedNaming } from '../functions/local/artifacts/cloud-assembly.js';
import { startDeployedApi } from '../functions/local/artifacts/deployed-api.js';
import type { DeployedFunction } from '../functions/local/artifacts/types.js';
import { startDevStack } from '../functions/local/dev-stack.js';
import { testLineUserId } from '../functions/local/emulators/test-identities.js';
import { handlerEntry, PROJECT_ROOT } from '../lib/bundling.js';
import { bundle, CHILD_ENV } from './bundles.js';
import { inFreshProcess } from './fresh-process.js';
import { apiEvent } from './lambda-invoke.js';
import { ms, percentile, rotate } from './stats.js';
import type { BenchRow, BenchSuite } from './types.js';

/**
 * The whole cold request, as the first request to a new Lambda execution environment pays it:
 * `GET /links/me` handled once in a fresh environment against the local stack (the LINE JWKS
 * fetched for the first time, the ID token verified, one GetItem), against a bare function that
 * only imports the DynamoDB client and makes the same GetItem, run the same way. Two modes:
 * - source: a fresh `node` process imports a bundle built from the source with the deployment's
 *   esbuild options and the bench's settings (CHILD_ENV);
 * - deployed artifact: a fresh process starts the mode's function host (functions/local/artifacts)
 *   with the very bundle of `cdk.out` that the template wires to `GET /links/me`, the template's
 *   environment as the mode resolves it, and one invocation (the worker thread's own start
 *   included, as a Lambda runtime's); its AWS calls go signed to the mode's local AWS endpoint.
 * CPU time of the child process from before the import (or the host) to the answer: the
 * emulators', the endpoint's and DynamoDB Local's work is theirs, not the function's. Median of
 * 9 rounds (21 with --large), the four measured round-robin in rotating order.
 */
const TARGET = 1.5;

/** The bare SDK function: one GetItem of `BENCH_KEY` in `LINKS_TABLE`. */
const BASELINE_SOURCE = `
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
export const handler = async () => {
  const r = await client.send(new GetItemCommand({ TableName: process.env.LINKS_TABLE, Key: { pk: { S: process.env.BENCH_KEY } }, ConsistentRead: true }));
  return { statusCode: r.Item ? 200 : 404 };
};
`;

/** Source mode: the module imported by the process itself, the handler called as the runtime does. */
const MODULE_SCRIPT = `
const start = process.cpuUsage();
const { handler } = await import(process.env.BENCH_MODULE);
const context = { functionName: 'bench', awsRequestId: 'cold', getRemainingTimeInMillis: () => 30000 };
const result = await handler(JSON.parse(process.env.BENCH_EVENT), context);
const d = process.cpuUsage(start);
process.stdout.write(JSON.stringify({ cpu: (d.user + d.system) / 1000, status: result.statusCode }));
`;

/** Deployed-artifact mode: one invocation through a new function host (one new environment). */
const HOST_SCRIPT = `
const { createFunctionHost } = await import(process.env.BENCH_HOST);
const start = process.cpuUsage();
const host = createFunctionHost(JSON.parse(process.env.BENCH_FUNCTION), JSON.parse(process.env.BENCH_OPTIONS));
const outcome = await host.invoke(JSON.parse(process.env.BENCH_EVENT));
const d = process.cpuUsage(start);
await host.close();
const status = outcome.ok ? outcome.result.statusCode : outcome.errorType + ': ' + outcome.errorMessage;
process.stdout.write(JSON.stringify({ cpu: (d.user + d.system) / 1000, status }));
`;
// Node 22 strips the types of function-host.ts itself (it imports only types), so the child
// needs no TypeScript loader whose work would count.
const FUNCTION_HOST = new URL('../functions/local/artifacts/function-host.ts', import.meta.url).href;

/** Runs a cold-request child; its CPU milliseconds, once it answered 200. */
async function cold(script: string, env: Record<string, string>, what: string): Promise<number> {
  const { cpu, status } = JSON.parse(await inFreshProcess(script, env, what)) as {
    cpu: number;
    status: unknown;
  };
  if (status !== 200) throw new Error(`${what} answered ${String(status)}`);
  return cpu;
}

/**
 * The cloud assembly as the CLI synthesizes it for the mode's tests (placeholder URLs the overlay
 * replaces), once per run, into bench/.out (git-ignored). Before the local stack starts: the
 * settings also read the process environment, which the stack fills.
 */
async function synthesize(): Promise<string> {
  const outdir = join(PROJECT_ROOT, 'bench', '.out', 'cdk.out');
  const args = [
    'cdk',
    'synth',
    '--quiet',
    '-c',
    'settings=test/support/deployed-settings.json',
    '-o',
    outdir,
  ];
  const env = { ...process.env, AWS_REGION: 'ap-northeast-1', CDK_DEFAULT_ACCOUNT: '123456789012' };
  await promisify(execFile)('npx', args, { cwd: PROJECT_ROOT, env, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`cdk synth failed: ${`${error.stdout ?? ''}${error.stderr ?? ''}`.slice(-3000)}`);
    },
  );
  return outdir;
}

const suite: BenchSuite = {
  name: 'cold-request',
  async run({ large }) {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const assembly = await synthesize();
    const stack = await startDevStack({ port: 0 });
    const outdir = mkdtempSync(join(tmpdir(), 'line-id-link-cold-'));
    const doc = createDocumentClient(loadDynamoConfig(process.env));
    const run = randomUUID().slice(0, 8);
    const line = stack.line!;
    // Where the function finds LINE: the emulator, and the channel it mints tokens for.
    const overlay: Record<string, string> = {
      LINE_API_BASE: line.url,
      LINE_AUTH_BASE: line.url,
      LINE_ISSUER: line.issuer,
      LINE_CHANNEL_ID: process.env.LINE_CHANNEL_ID!,
      LINE_LOGIN_CHANNEL_ID: process.env.LINE_CHANNEL_ID!,
    };
    const deployed = await startDeployedApi({
      outdir: assembly,
      naming: taggedNaming(`bench${run}`),
      dynamodbEndpoint: stack.dynamoEndpoint!,
      overlay,
      secretValues: {},
    }).catch(async (error: unknown) => {
      await stack.close();
      throw error;
    });
    try {
      const userId = testLineUserId(`cold-${run}`);
      const key = `LINE#${userId}`;
      const item = { pk: key, lineUserId: userId, companyUserId: `M-COLD-${run}`, method: 'oidc' };
      const token = await line.mintIdToken({ userId, expiresInSec: 3600 });
      const event = JSON.stringify(apiEvent('GET', '/links/me', { authorization: `Bearer ${token}` }));
      const project = await bundle(outdir, 'links-me-get', { entry: handlerEntry('links-me-get') });
      const baseline = await bundle(outdir, 'baseline', { source: BASELINE_SOURCE });

      // Source mode: the function's settings, pointed at the local stack.
      const links = tableName('links', process.env);
      const sourceEnv: Record<string, string> = {
        ...CHILD_ENV,
        DYNAMODB_ENDPOINT: stack.dynamoEndpoint!,
        ...overlay,
        LINKS_TABLE: links,
        BENCH_KEY: key,
        BENCH_EVENT: event,
      };
      const inProcess = (file: string) =>
        cold(
          MODULE_SCRIPT,
          { ...sourceEnv, BENCH_MODULE: pathToFileURL(file).href },
          `cold request with ${file}`,
        );

      // Deployed mode: the function the template wires to the route, with the environment
      // startDeployedApi gives it (the template's, the overlay where the template sets a name,
      // the local endpoint and the function's own credentials).
      const route = deployed.app.httpApi.routes.find((r) => r.routeKey === 'GET /links/me')!;
      const fn = deployed.app.functions.find((f) => f.logicalId === route.functionLogicalId)!;
      const environment = deployed.environmentOf(fn);
      const endpointEnv = {
        AWS_ENDPOINT_URL: environment.AWS_ENDPOINT_URL!,
        AWS_ACCESS_KEY_ID: environment.AWS_ACCESS_KEY_ID!,
        AWS_SECRET_ACCESS_KEY: environment.AWS_SECRET_ACCESS_KEY!,
      };
      // The bare function: its own bundle in the same host, the same endpoint and role.
      const bare: DeployedFunction = { ...fn, name: `${fn.name}-bare`, assetDir: dirname(baseline) };
      const bareEnvironment = {
        NODE_OPTIONS: fn.environment['NODE_OPTIONS'] ?? '',
        ...endpointEnv,
        LINKS_TABLE: fn.environment['LINKS_TABLE']!,
        BENCH_KEY: key,
      };
      const inHost = (target: DeployedFunction, env: Record<string, string>) =>
        cold(
          HOST_SCRIPT,
          {
            PATH: process.env.PATH ?? '',
            BENCH_HOST: FUNCTION_HOST,
            BENCH_FUNCTION: JSON.stringify({ ...target, policies: [] }),
            BENCH_OPTIONS: JSON.stringify({
              environment: env,
              region: deployed.app.environment.region,
              account: deployed.app.environment.account,
            }),
            BENCH_EVENT: event,
          },
          `cold request through the function host of ${target.assetDir}`,
        );

      for (const table of [links, fn.environment['LINKS_TABLE']!]) {
        await doc.send(
          new PutCommand({ TableName: table, Item: { ...item, linkedAt: new Date().toISOString() } }),
        );
      }
      const measures = {
        source: () => inProcess(project),
        sourceBare: () => inProcess(baseline),
        deployed: () => inHost(fn, environment),
        deployedBare: () => inHost(bare, bareEnvironment),
      };
      await rotate(1, measures); // warms the file cache for every side alike
      const samples = await rotate(large ? 21 : 9, measures);
      const row = (name: string, project: number[], base: number[]): BenchRow => {
        const p = percentile(project, 50);
        const b = percentile(base, 50);
        return {
          name,
          project: ms(p),
          baseline: ms(b),
          ratio: p / b,
          target: `≤ ${TARGET}`,
          pass: p / b <= TARGET,
        };
      };
      return [
        row(
          'GET /links/me cold request, source, CPU (fresh process: import + first request incl. JWKS / SDK-only GetItem)',
          samples.source,
          samples.sourceBare,
        ),
        row(
          'GET /links/me cold request, deployed artifact, CPU (fresh function host: cdk.out bundle, template env, first request incl. JWKS / SDK-only GetItem, same host and endpoint)',
          samples.deployed,
          samples.deployedBare,
        ),
      ];
    } finally {
      doc.destroy();
      rmSync(outdir, { recursive: true, force: true });
      await deployed.close();
      await stack.close();
    }
  },
};
export default suite;
