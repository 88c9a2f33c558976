import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { LinePlatformClient } from '../functions/adapters/line/line-platform-client.js';
import { createDocumentClient } from '../functions/adapters/dynamo/dynamo-client.js';
import { loadDynamoConfig, tableName } from '../functions/config.js';
import { startDevStack } from '../functions/local/dev-stack.js';
import { testLineUserId } from '../functions/local/emulators/test-identities.js';
import { interleave, ms, percentile } from './stats.js';
import type { BenchRow, BenchSuite } from './types.js';

/**
 * Rows of the LIFF linking foundation: (a) ID-token verification through the project's
 * verifier vs a bare node:crypto ES256 signature check of the same token; (b) POST /links
 * through the local server vs the same TransactWriteItems sent straight to DynamoDB Local.
 */
const suite: BenchSuite = {
  name: 'links',
  async run({ large }) {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const stack = await startDevStack({ port: 0 });
    try {
      return [await verifyRow(stack, large), ...(await postLinksRows(stack, large))];
    } finally {
      await stack.close();
    }
  },
};
export default suite;

type Stack = Awaited<ReturnType<typeof startDevStack>>;

async function verifyRow(stack: Stack, large: boolean): Promise<BenchRow> {
  const line = stack.line!;
  const userId = testLineUserId('bench');
  const token = await line.mintIdToken({ userId, expiresInSec: 3600 });
  const client = new LinePlatformClient({
    channelIds: [process.env.LINE_CHANNEL_ID!],
    loginChannelId: process.env.LINE_CHANNEL_ID!,
    apiBase: line.url,
    issuer: line.issuer,
  });
  await client.verifyIdToken(token); // fetches and caches the JWKS

  // The baseline: what any verifier must do at least — one ES256 signature check.
  const jwks = (await (await fetch(`${line.url}/oauth2/v2.1/certs`)).json()) as {
    keys: Array<Record<string, string>>;
  };
  const key: KeyObject = createPublicKey({ key: jwks.keys[0]!, format: 'jwk' });
  const [header, payload, signature] = token.split('.');
  const data = Buffer.from(`${header}.${payload}`);
  const sig = Buffer.from(signature!, 'base64url');
  const rawVerify = async () => {
    if (!cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig))
      throw new Error('bad signature');
  };
  const projectVerify = async () => {
    await client.verifyIdToken(token);
  };

  const opsPerSecond = async (fn: () => Promise<void>, durationMs: number) => {
    let count = 0;
    const start = performance.now();
    while (performance.now() - start < durationMs) {
      for (let i = 0; i < 50; i++) await fn();
      count += 50;
    }
    return count / ((performance.now() - start) / 1000);
  };
  await opsPerSecond(projectVerify, 300);
  await opsPerSecond(rawVerify, 300);
  const slices = large ? 10 : 6;
  const { project, baseline } = await interleave(
    slices,
    () => opsPerSecond(projectVerify, 250),
    () => opsPerSecond(rawVerify, 250),
  );
  const p = percentile(project, 50);
  const b = percentile(baseline, 50);
  return {
    name: 'ID token verify, ops/s (project / node:crypto)',
    project: `${Math.round(p)}/s`,
    baseline: `${Math.round(b)}/s`,
    ratio: p / b,
    target: '≥ 0.4',
    pass: p / b >= 0.4,
  };
}

async function postLinksRows(stack: Stack, large: boolean): Promise<BenchRow[]> {
  const rounds = large ? 1000 : 300;
  const line = stack.line!;
  const company = stack.company!;
  const doc = createDocumentClient(loadDynamoConfig());
  const table = tableName('links');
  const auditTable = tableName('audit');
  const run = randomBytes(3).toString('hex');

  // Tokens are minted ahead of time: minting is the emulators' work, not the service's.
  const inputs = await Promise.all(
    Array.from({ length: rounds + 20 }, async (_, i) => ({
      lineToken: await line.mintIdToken({ userId: testLineUserId(`bench-${run}-${i}`) }),
      companyIdToken: await company.mintIdToken({ sub: `M-BENCH-${run}-${i}` }),
    })),
  );
  // A keep-alive node:http client, like the SDK's own handler on the baseline side.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(`${stack.api.url}/links`);
  const post = (headers: Record<string, string>, body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const project = async () => {
    const input = inputs[next++]!;
    const body = JSON.stringify({ companyIdToken: input.companyIdToken });
    const start = performance.now();
    const status = await post(
      {
        authorization: `Bearer ${input.lineToken}`,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    );
    if (status !== 201) throw new Error(`POST /links answered ${status}`);
    return performance.now() - start;
  };
  let n = 0;
  const baseline = async () => {
    const i = n++;
    const attributes = {
      lineUserId: testLineUserId(`bench-base-${run}-${i}`),
      companyUserId: `M-BASE-${run}-${i}`,
      method: 'oidc',
      linkedAt: new Date().toISOString(),
    };
    const start = performance.now();
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table,
              Item: { pk: `LINE#${attributes.lineUserId}`, ...attributes },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: table,
              Item: { pk: `COMPANY#${attributes.companyUserId}`, ...attributes },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          // The project writes the link's audit event in the same transaction; so does the baseline.
          {
            Put: {
              TableName: auditTable,
              Item: {
                pk: `LINE#${attributes.lineUserId}`,
                sk: `${attributes.linkedAt}#${randomBytes(8).toString('hex')}`,
                type: 'link',
                at: attributes.linkedAt,
                ...attributes,
              },
              ConditionExpression: 'attribute_not_exists(sk)',
            },
          },
        ],
      }),
    );
    return performance.now() - start;
  };
  for (let i = 0; i < 20; i++) {
    await project();
    await baseline();
  }
  const samples = await interleave(rounds, project, baseline);
  doc.destroy();
  agent.destroy();
  const row = (p: number): BenchRow => {
    const a = percentile(samples.project, p);
    const b = percentile(samples.baseline, p);
    return {
      name: `POST /links p${p} (local server / bare TransactWriteItems)`,
      project: ms(a),
      baseline: ms(b),
      ratio: a / b,
      target: p === 50 ? '≤ 1.5' : 'report',
      pass: p === 50 ? a / b <= 1.5 : true,
    };
  };
  return [row(50), row(99)];
}
