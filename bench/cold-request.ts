import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamo/dynamo-client.js';
import { loadDynamoConfig, tableName } from '../functions/config.js';
import { startDevStack } from '../functions/local/dev-stack.js';
import { testLineUserId } from '../functions/local/emulators/test-identities.js';
import { handlerEntry } from '../lib/bundling.js';
import { bundle, CHILD_ENV } from './bundles.js';
import { inFreshProcess } from './fresh-process.js';
import { interleave, ms, percentile } from './stats.js';
import type { BenchRow, BenchSuite } from './types.js';

/**
 * The whole cold request, as the first request to a new Lambda execution environment pays it:
 * a fresh `node` process imports the deployed bundle of `GET /links/me` and handles one request
 * against the local stack (the LINE JWKS fetched for the first time, the ID token verified, one
 * GetItem at DynamoDB Local). The baseline is a fresh process that imports a bundle of only the
 * DynamoDB client and makes the same GetItem. CPU time of the child from before the import to
 * the answer (the emulators' and DynamoDB Local's work is theirs, not the function's), median
 * of 9 rounds (21 with --large), the two measured alternately.
 */
const TARGET = 1.5;

const baselineSource = (table: string, key: string) => `
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
export const handler = async () => {
  const r = await client.send(new GetItemCommand({ TableName: ${JSON.stringify(table)}, Key: { pk: { S: ${JSON.stringify(key)} } }, ConsistentRead: true }));
  return { statusCode: r.Item ? 200 : 404 };
};
`;

const SCRIPT = `
const start = process.cpuUsage();
const { handler } = await import(process.env.BENCH_MODULE);
const context = { functionName: 'bench', awsRequestId: 'cold', getRemainingTimeInMillis: () => 30000 };
const result = await handler(JSON.parse(process.env.BENCH_EVENT), context);
const d = process.cpuUsage(start);
process.stdout.write(JSON.stringify({ cpu: (d.user + d.system) / 1000, status: result.statusCode }));
`;

async function coldRequest(file: string, env: Record<string, string>, event: unknown): Promise<number> {
  const out = await inFreshProcess(
    SCRIPT,
    { ...CHILD_ENV, ...env, BENCH_MODULE: pathToFileURL(file).href, BENCH_EVENT: JSON.stringify(event) },
    `cold request with ${file}`,
  );
  const { cpu, status } = JSON.parse(out) as { cpu: number; status: number };
  if (status !== 200) throw new Error(`cold request with ${file} answered ${status}`);
  return cpu;
}

const suite: BenchSuite = {
  name: 'cold-request',
  async run({ large }) {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const stack = await startDevStack({ port: 0 });
    const outdir = mkdtempSync(join(tmpdir(), 'line-id-link-cold-'));
    const doc = createDocumentClient(loadDynamoConfig());
    try {
      const line = stack.line!;
      const userId = testLineUserId(`cold-${randomUUID()}`);
      const companyUserId = `M-COLD-${randomUUID()}`;
      const linkedAt = new Date().toISOString();
      const attributes = { lineUserId: userId, companyUserId, method: 'oidc', linkedAt };
      const links = tableName('links');
      await doc.send(new PutCommand({ TableName: links, Item: { pk: `LINE#${userId}`, ...attributes } }));
      const token = await line.mintIdToken({ userId, expiresInSec: 3600 });
      // What the function receives: its settings, pointed at the local stack.
      const env: Record<string, string> = {
        DYNAMODB_ENDPOINT: stack.dynamoEndpoint!,
        LINE_API_BASE: line.url,
        LINE_AUTH_BASE: line.url,
        LINE_ISSUER: line.issuer,
        LINE_CHANNEL_ID: process.env.LINE_CHANNEL_ID!,
        LINKS_TABLE: links,
      };
      const now = new Date();
      const event = {
        version: '2.0',
        routeKey: 'GET /links/me',
        rawPath: '/links/me',
        rawQueryString: '',
        headers: { host: 'localhost', authorization: `Bearer ${token}` },
        requestContext: {
          accountId: 'bench',
          apiId: 'bench',
          domainName: 'localhost',
          domainPrefix: 'localhost',
          http: {
            method: 'GET',
            path: '/links/me',
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: 'bench',
          },
          requestId: 'cold',
          routeKey: 'GET /links/me',
          stage: '$default',
          time: now.toISOString(),
          timeEpoch: now.getTime(),
        },
        isBase64Encoded: false,
      };
      const project = await bundle(outdir, 'links-me-get', { entry: handlerEntry('links-me-get') });
      const baseline = await bundle(outdir, 'baseline', { source: baselineSource(links, `LINE#${userId}`) });
      await coldRequest(project, env, event); // warms the file cache for both sides alike
      await coldRequest(baseline, env, event);
      const samples = await interleave(
        large ? 21 : 9,
        () => coldRequest(project, env, event),
        () => coldRequest(baseline, env, event),
      );
      const p = percentile(samples.project, 50);
      const b = percentile(samples.baseline, 50);
      return [
        {
          name: 'GET /links/me cold request, CPU (fresh process: import + first request incl. JWKS / SDK-only GetItem)',
          project: ms(p),
          baseline: ms(b),
          ratio: p / b,
          target: `≤ ${TARGET}`,
          pass: p / b <= TARGET,
        },
      ] satisfies BenchRow[];
    } finally {
      doc.destroy();
      rmSync(outdir, { recursive: true, force: true });
      await stack.close();
    }
  },
};
export default suite;
