import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { createFreshTables, localClient, startDynamoDbLocal } from '../functions/local/dynamodb-local.js';
import { peakRssRow, percentile, throughputRow } from './stats.js';
import type { BenchRow, BenchSuite } from './types.js';

const SEGMENTS = 4;
const RSS_BUDGET_MB = 200;

/**
 * Rows of the analysts' export (docs/export.md): `exportTableByScan` (the code behind
 * `npm run export -- --format csv`) over 200,000 links (1,000,000 with --large) in DynamoDB
 * Local, against a bare parallel Scan loop with the same segments writing equivalent lines;
 * and the peak RSS of the export process, which must stay flat whatever the table size.
 * Each run is a child process (its own RSS); project and baseline runs alternate.
 */
const suite: BenchSuite = {
  name: 'export',
  async run({ large }) {
    const links = large ? 1_000_000 : 200_000;
    const dynamo = await startDynamoDbLocal();
    const client = localClient(dynamo.endpoint);
    const dir = mkdtempSync(join(tmpdir(), 'bench-export-'));
    try {
      const tables = await createFreshTables(client, 'bench');
      const loadStart = performance.now();
      await loadLinks(client, tables.links, links);
      process.stderr.write(
        `  loaded ${links} links (${2 * links} items) in ${((performance.now() - loadStart) / 1000).toFixed(1)} s\n`,
      );

      const run = async (mode: 'project' | 'baseline', i: number) => {
        const out = join(dir, `${mode}-${i}.csv`);
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [
            '--import',
            'tsx',
            join(import.meta.dirname, 'export-child.ts'),
            mode,
            dynamo.endpoint,
            tables.links,
            String(SEGMENTS),
            out,
          ],
          { env: { ...process.env, NODE_OPTIONS: '', NODE_NO_WARNINGS: '1' }, maxBuffer: 1 << 20 },
        );
        const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
          rows: number;
          seconds: number;
          maxRssMb: number;
        };
        if (result.rows !== links)
          throw new Error(`${mode} export wrote ${result.rows} rows, expected ${links}`);
        const bytes = statSync(out).size;
        rmSync(out);
        process.stderr.write(
          `  ${mode.padEnd(8)} ${Math.round(result.rows / result.seconds)} rows/s, ${result.maxRssMb.toFixed(0)} MB peak RSS, ${(bytes / 1e6).toFixed(1)} MB\n`,
        );
        return result;
      };

      // Warm-up of both sides (DynamoDB Local's JIT, the OS page cache), then alternating rounds.
      // DynamoDB Local's speed drifts from run to run (JIT, GC, other load on the machine), so
      // each project run is compared with the baseline run next to it: the median ratio counts.
      await run('baseline', 0);
      await run('project', 0);
      const rounds = large ? 2 : 3;
      const project: Array<{ rows: number; seconds: number; maxRssMb: number }> = [];
      const baseline: typeof project = [];
      for (let i = 1; i <= rounds; i++) {
        if (i % 2 === 1) {
          project.push(await run('project', i));
          baseline.push(await run('baseline', i));
        } else {
          baseline.push(await run('baseline', i));
          project.push(await run('project', i));
        }
      }
      const rate = (rs: typeof project) =>
        percentile(
          rs.map((r) => r.rows / r.seconds),
          50,
        );
      const p = rate(project);
      const b = rate(baseline);
      const ratio = percentile(
        project.map((r, i) => r.rows / r.seconds / (baseline[i]!.rows / baseline[i]!.seconds)),
        50,
      );
      const rss = Math.max(...project.map((r) => r.maxRssMb));
      const baseRss = Math.max(...baseline.map((r) => r.maxRssMb));
      const n = large ? '1M' : '200k';
      return [
        throughputRow(
          `export ${n} links, rows/s (export CSV / bare ${SEGMENTS}-segment Scan, median paired ratio)`,
          p,
          b,
          ratio,
        ),
        peakRssRow(
          `export ${n} links, peak RSS (export / ${RSS_BUDGET_MB} MB budget)`,
          rss,
          RSS_BUDGET_MB,
          `bare Scan: ${baseRss.toFixed(0)} MB`,
        ),
      ] satisfies BenchRow[];
    } finally {
      rmSync(dir, { recursive: true, force: true });
      client.destroy();
      await dynamo.stop();
    }
  },
};
export default suite;

/** Writes `count` links (both items of each) with parallel BatchWriteItem, retrying unprocessed items. */
export async function loadLinks(client: DynamoDBClient, table: string, count: number): Promise<void> {
  const CONCURRENCY = 8;
  const PER_BATCH = 12; // 12 links = 24 items of the 25 a batch allows
  let next = 0;
  const base = Date.parse('2025-01-01T00:00:00Z');
  const worker = async () => {
    for (;;) {
      const start = next;
      if (start >= count) return;
      next = Math.min(count, start + PER_BATCH);
      let requests: WriteRequest[] = [];
      for (let i = start; i < next; i++) {
        const lineUserId = `U${i.toString(16).padStart(32, '0')}`;
        const companyUserId = `M-${String(i).padStart(8, '0')}`;
        const attributes = {
          lineUserId: { S: lineUserId },
          companyUserId: { S: companyUserId },
          method: { S: i % 3 === 0 ? 'oidc' : i % 3 === 1 ? 'api' : 'record' },
          linkedAt: { S: new Date(base + i * 1000).toISOString() },
        };
        requests.push({ PutRequest: { Item: { pk: { S: `LINE#${lineUserId}` }, ...attributes } } });
        requests.push({ PutRequest: { Item: { pk: { S: `COMPANY#${companyUserId}` }, ...attributes } } });
      }
      while (requests.length > 0) {
        const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
        requests = result.UnprocessedItems?.[table] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}
