import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamo/dynamo-client.js';
import { loadDynamoConfig, tableName } from '../functions/config.js';
import { startDevStack } from '../functions/local/dev-stack.js';
import { testLineUserId } from '../functions/local/emulators/test-identities.js';
import { apiEvent, invocationContext, type Handler } from './lambda-invoke.js';
import { linkWriter, unlinkWriter } from './link-write.js';
import type { BenchRow, BenchSuite } from './types.js';

/**
 * What a Lambda bill pays for: process CPU time per warm invocation of each API handler, called
 * directly (as the Lambda runtime does) with an API Gateway HTTP API (v2) event, against
 * DynamoDB Local, vs the bare SDK calls the handler makes for the same request. The emulators run
 * in this process but are idle during the loops (keys are fetched once, tokens minted ahead).
 * Project and baseline run alternately in chunks; the row is total CPU / invocations.
 */

const HANDLERS = ['links-post', 'links-me-get', 'links-me-history-get', 'links-me-delete'] as const;

/** CPU milliseconds (user + system) that `count` sequential calls of `fn(i)` cost this process. */
async function cpu(fn: (i: number) => Promise<void>, from: number, count: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = from; i < from + count; i++) await fn(i);
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

const suite: BenchSuite = {
  name: 'handler-cpu',
  async run({ large }) {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const stack = await startDevStack({ port: 0 });
    const line = stack.line!;
    const company = stack.company!;
    const doc = createDocumentClient(loadDynamoConfig(process.env));
    const links = tableName('links', process.env);
    const audit = tableName('audit', process.env);
    const run = randomBytes(3).toString('hex');
    const total = large ? 5000 : 2000;
    const chunks = 10;
    const chunk = total / chunks;
    const rows: BenchRow[] = [];

    const writeLink = linkWriter(doc, {
      links,
      messaging: tableName('messaging', process.env),
      sessions: tableName('sessions', process.env),
      audit,
    });
    /**
     * The writes of a link as the repository sends them for an ID token on POST /links: link both
     * ways, the check that no friendship is known, the audit event, the company ID token's binding.
     */
    const linkWrite = (lineUserId: string, companyUserId: string) =>
      writeLink({
        lineUserId,
        companyUserId,
        channelId: process.env.LINE_CHANNEL_ID!,
        bindsCompanyToken: true,
      });
    /** The writes of an unlink as the repository sends them (DELETE /links/me). */
    const writeUnlink = unlinkWriter(doc, { links, audit });
    const unlinkWrite = (lineUserId: string, companyUserId: string) =>
      writeUnlink(
        { lineUserId, companyUserId, method: 'oidc', linkedAt: new Date().toISOString() },
        process.env.LINE_CHANNEL_ID!,
      );

    try {
      const load = async (name: string) => stack.handlers!.handler(name) as unknown as Handler;
      const call = async (handler: Handler, name: string, e: APIGatewayProxyEventV2, expect: number) => {
        const result = (await handler(e, invocationContext(name))) as { statusCode?: number };
        if (result.statusCode !== expect)
          throw new Error(`${name} answered ${result.statusCode}, not ${expect}`);
      };
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

      // One linked user with a few audit events, whose (same) token a LIFF app sends on each call.
      const me = testLineUserId(`cpu-me-${run}`);
      await doc.send(linkWrite(me, `M-CPU-ME-${run}`));
      const meToken = await line.mintIdToken({ userId: me, expiresInSec: 3600 });

      for (const name of HANDLERS) {
        const handler = await load(name);
        let project: (i: number) => Promise<void>;
        let baseline: (i: number) => Promise<void>;
        let baselineLabel: string;
        const n = total + 2 * chunk; // the warm-up chunk and a spare
        if (name === 'links-post') {
          // A new link each time: first-seen LINE and company ID tokens, as a first link is.
          const inputs = await Promise.all(
            Array.from({ length: n }, async (_, i) => ({
              lineToken: await line.mintIdToken({ userId: testLineUserId(`cpu-post-${run}-${i}`) }),
              body: JSON.stringify({
                companyIdToken: await company.mintIdToken({ sub: `M-CPU-POST-${run}-${i}` }),
              }),
            })),
          );
          project = (i) =>
            call(
              handler,
              name,
              apiEvent(
                'POST',
                '/links',
                { ...bearer(inputs[i]!.lineToken), 'content-type': 'application/json' },
                inputs[i]!.body,
              ),
              201,
            );
          baseline = async (i) => {
            await doc.send(linkWrite(testLineUserId(`cpu-base-${run}-${i}`), `M-CPU-BASE-${run}-${i}`));
          };
          baselineLabel = 'TransactWriteItems';
        } else if (name === 'links-me-get') {
          project = () => call(handler, name, apiEvent('GET', '/links/me', bearer(meToken)), 200);
          baseline = async () => {
            await doc.send(
              new GetCommand({ TableName: links, Key: { pk: `LINE#${me}` }, ConsistentRead: true }),
            );
          };
          baselineLabel = 'GetItem';
        } else if (name === 'links-me-history-get') {
          project = () => call(handler, name, apiEvent('GET', '/links/me/history', bearer(meToken)), 200);
          baseline = async () => {
            await doc.send(
              new QueryCommand({
                TableName: audit,
                KeyConditionExpression: 'pk = :pk',
                ExpressionAttributeValues: { ':pk': `LINE#${me}` },
                ScanIndexForward: false,
                Limit: 50,
              }),
            );
          };
          baselineLabel = 'Query';
        } else if (name === 'links-me-delete') {
          // Linked users prepared ahead (not measured), each unlinked once, with its own token.
          const users = Array.from({ length: n }, (_, i) => ({
            lineUserId: testLineUserId(`cpu-del-${run}-${i}`),
            companyUserId: `M-CPU-DEL-${run}-${i}`,
            base: testLineUserId(`cpu-delbase-${run}-${i}`),
            baseCompany: `M-CPU-DELBASE-${run}-${i}`,
          }));
          const tokens: string[] = [];
          for (const u of users) {
            await doc.send(linkWrite(u.lineUserId, u.companyUserId));
            await doc.send(linkWrite(u.base, u.baseCompany));
            tokens.push(await line.mintIdToken({ userId: u.lineUserId }));
          }
          // The app showed the link first (GET /links/me), so the token is verified already.
          const getMe = await load('links-me-get');
          for (let i = 0; i < n; i++)
            await call(getMe, 'links-me-get', apiEvent('GET', '/links/me', bearer(tokens[i]!)), 200);
          project = (i) => call(handler, name, apiEvent('DELETE', '/links/me', bearer(tokens[i]!)), 204);
          baseline = async (i) => {
            const u = users[i]!;
            await doc.send(
              new GetCommand({ TableName: links, Key: { pk: `LINE#${u.base}` }, ConsistentRead: true }),
            );
            await doc.send(unlinkWrite(u.base, u.baseCompany));
          };
          baselineLabel = 'GetItem + TransactWriteItems';
        } else {
          throw new Error(`no baseline for ${name satisfies never}`);
        }

        // Warm-up: the first chunk pays JIT and connection set-up on both sides.
        await cpu(project, 0, chunk);
        await cpu(baseline, 0, chunk);
        let p = 0;
        let b = 0;
        for (let c = 1; c <= chunks; c++) {
          if (c % 2) {
            p += await cpu(project, c * chunk, chunk);
            b += await cpu(baseline, c * chunk, chunk);
          } else {
            b += await cpu(baseline, c * chunk, chunk);
            p += await cpu(project, c * chunk, chunk);
          }
        }
        const perP = p / total;
        const perB = b / total;
        const us = (v: number) => `${(v * 1000).toFixed(0)} µs`;
        process.stderr.write(`  ${name}: ${perP.toFixed(3)} ms vs ${perB.toFixed(3)} ms\n`);
        rows.push({
          name: `${name} CPU per warm invocation (handler / bare ${baselineLabel})`,
          project: us(perP),
          baseline: us(perB),
          ratio: perB > 0 ? perP / perB : NaN,
          target: 'report',
          pass: true,
        });
      }
      return rows;
    } finally {
      doc.destroy();
      await stack.close();
    }
  },
};
export default suite;
