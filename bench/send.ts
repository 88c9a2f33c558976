import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createFreshTables, localClient, startDynamoDbLocal } from '../functions/local/dynamodb-local.js';
import { startLinePlatformEmulator } from '../functions/local/emulators/line-platform-emulator.js';
import { loadLinks } from './export.js';
import { peakRssRow, percentile, throughputRow } from './stats.js';
import type { BenchRow, BenchSuite } from './types.js';

const RSS_BUDGET_MB = 300;
const CHANNEL = { channelId: '2000000002', channelSecret: 'bench-messaging-secret-0123456789' };

/**
 * Messages to members by member number (`npm run send`, `POST /admin/messages`): the
 * `sendToMembers` use case with its real adapters (DynamoDB link directory, multicast client
 * with retry keys, stateless channel token) sends to 100,000 linked members (1,000,000 with
 * --large) in DynamoDB Local through the LINE emulator, against a bare loop doing the same
 * BatchGetItem reads and multicast requests; and the peak RSS of the sending process.
 * Each run is a child process (its own RSS); project and baseline runs alternate.
 */
const suite: BenchSuite = {
  name: 'send',
  async run({ large }) {
    const members = large ? 1_000_000 : 100_000;
    const dynamo = await startDynamoDbLocal();
    const client = localClient(dynamo.endpoint);
    const line = await startLinePlatformEmulator({
      channels: [{ channelId: '1234567890', channelSecret: 'bench-login-secret-0123456789abc' }],
      messagingChannel: CHANNEL,
    });
    try {
      const tables = await createFreshTables(client, 'bench');
      const table = tables.links;
      const loadStart = performance.now();
      await loadLinks(client, table, members);
      process.stderr.write(
        `  loaded ${members} links in ${((performance.now() - loadStart) / 1000).toFixed(1)} s\n`,
      );
      const run = async (mode: 'project' | 'baseline') => {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [
            '--import',
            'tsx',
            `${import.meta.dirname}/send-child.ts`,
            mode,
            dynamo.endpoint,
            table,
            line.url,
            CHANNEL.channelId,
            CHANNEL.channelSecret,
            String(members),
          ],
          { env: { ...process.env, NODE_OPTIONS: '', NODE_NO_WARNINGS: '1' }, maxBuffer: 1 << 20 },
        );
        const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
          sent: number;
          seconds: number;
          maxRssMb: number;
        };
        if (result.sent !== members) throw new Error(`${mode} sent to ${result.sent}, expected ${members}`);
        process.stderr.write(
          `  ${mode.padEnd(8)} ${Math.round(result.sent / result.seconds)} members/s, ${result.maxRssMb.toFixed(0)} MB peak RSS\n`,
        );
        return result;
      };
      await run('baseline');
      await run('project');
      const project: Array<Awaited<ReturnType<typeof run>>> = [];
      const baseline: typeof project = [];
      for (let i = 1; i <= 3; i++) {
        if (i % 2 === 1) {
          project.push(await run('project'));
          baseline.push(await run('baseline'));
        } else {
          baseline.push(await run('baseline'));
          project.push(await run('project'));
        }
      }
      const rate = (rs: typeof project) =>
        percentile(
          rs.map((r) => r.sent / r.seconds),
          50,
        );
      const ratio = percentile(
        project.map((r, i) => r.sent / r.seconds / (baseline[i]!.sent / baseline[i]!.seconds)),
        50,
      );
      const n = large ? '1M' : '100k';
      return [
        throughputRow(
          `send to ${n} members, members/s (sendToMembers / bare BatchGet + multicast loop, median paired ratio)`,
          rate(project),
          rate(baseline),
          ratio,
        ),
        peakRssRow(
          `send to ${n} members, peak RSS (send / ${RSS_BUDGET_MB} MB budget)`,
          Math.max(...project.map((r) => r.maxRssMb)),
          RSS_BUDGET_MB,
          `bare loop: ${Math.max(...baseline.map((r) => r.maxRssMb)).toFixed(0)} MB`,
        ),
      ] satisfies BenchRow[];
    } finally {
      await line.close();
      client.destroy();
      await dynamo.stop();
    }
  },
};
export default suite;
