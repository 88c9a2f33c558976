import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLES, type TableKey } from '../functions/manifest/table-definitions.js';
import { createFreshTables, localClient, startDynamoDbLocal } from '../functions/local/dynamodb-local.js';
import { peakRssRow, throughputRow } from './stats.js';
import type { BenchRow, BenchSuite } from './types.js';

const CONCURRENCY = 8;
const RSS_BUDGET_MB = 300;

interface RunResult {
  rows: number;
  seconds: number;
  maxRssMb: number;
}

/**
 * Rows of the member import (pattern 3): `npm run import` (streaming CSV parse, validation,
 * normalization, HMAC of the factors, content hash, bounded parallel BatchWriteItem,
 * checkpoint) of 200,000 generated members (1,000,000 with --large) into DynamoDB Local,
 * against a bare BatchWriteItem loop with the same concurrency writing equivalent items; and the
 * peak RSS of the import process (streaming: it must not grow with the file). Every run is a
 * child process (its own RSS) writing into a fresh table; after a warm-up of DynamoDB Local's
 * JIT, project and baseline runs alternate (A-B-B-A) and the means are compared.
 */
const suite: BenchSuite = {
  name: 'import',
  async run({ large }) {
    const rows = large ? 1_000_000 : 200_000;
    const dir = mkdtempSync(join(tmpdir(), 'bench-import-'));
    const dynamo = await startDynamoDbLocal();
    const client = localClient(dynamo.endpoint);
    try {
      const csv = join(dir, 'members.csv');
      await generateCsv(csv, rows);
      let runs = 0;
      const run = async (mode: 'project' | 'baseline', count = rows): Promise<RunResult> => {
        const table = await freshMembersTable(client, `${runs++}`);
        try {
          const { stdout } = await promisify(execFile)(
            process.execPath,
            [
              '--import',
              'tsx',
              join(import.meta.dirname, 'import-child.ts'),
              mode,
              dynamo.endpoint,
              table,
              String(CONCURRENCY),
              csv,
              String(count),
            ],
            { env: { ...process.env, NODE_OPTIONS: '', NODE_NO_WARNINGS: '1' }, maxBuffer: 1 << 20 },
          );
          const result = JSON.parse(stdout.trim().split('\n').pop()!) as RunResult;
          if (result.rows !== count)
            throw new Error(`${mode} import wrote ${result.rows} rows, expected ${count}`);
          process.stderr.write(
            `  ${mode.padEnd(8)} ${Math.round(result.rows / result.seconds)} rows/s, ${result.maxRssMb.toFixed(0)} MB peak RSS\n`,
          );
          return result;
        } finally {
          await client.send(new DeleteTableCommand({ TableName: table }));
        }
      };

      // DynamoDB Local keeps getting faster for a while (JIT, heap): warm it up with a full
      // run, then measure in A-B-B-A order and compare means, which cancels a steady drift.
      await run('baseline', Math.min(rows, 200_000));
      const order: Array<'project' | 'baseline'> = ['project', 'baseline', 'baseline', 'project'];
      const results = { project: [] as RunResult[], baseline: [] as RunResult[] };
      for (const mode of order) results[mode].push(await run(mode));

      const rate = (rs: RunResult[]) => rs.reduce((sum, r) => sum + r.rows / r.seconds, 0) / rs.length;
      const p = rate(results.project);
      const b = rate(results.baseline);
      const rss = Math.max(...results.project.map((r) => r.maxRssMb));
      const baseRss = Math.max(...results.baseline.map((r) => r.maxRssMb));
      const n = large ? '1M' : '200k';
      return [
        throughputRow(
          `import ${n} members, rows/s (npm run import / bare BatchWriteItem ×${CONCURRENCY})`,
          p,
          b,
        ),
        peakRssRow(
          `import ${n} members, peak RSS (import / ${RSS_BUDGET_MB} MB budget)`,
          rss,
          RSS_BUDGET_MB,
          `bare loop: ${baseRss.toFixed(0)} MB`,
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

/** A member CSV as an operator would export it: varied dates and formats, all rows valid. */
async function generateCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('memberId,birthDate,postalCode,phone,name\n');
  for (let i = 0; i < rows; i++) {
    const year = 1940 + (i % 65);
    const month = 1 + (i % 12);
    const day = 1 + (i % 28);
    const birth =
      i % 3 === 0
        ? `${year}/${month}/${day}`
        : `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    const postal = String(1_000_000 + ((i * 7919) % 8_999_999));
    const line = `M-${String(i).padStart(7, '0')},${birth},${postal.slice(0, 3)}-${postal.slice(3)},090-${String(i % 10_000).padStart(4, '0')}-${String(i % 9973).padStart(4, '0')},Member ${i}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** A fresh members table (the same definition as the service's). */
async function freshMembersTable(client: DynamoDBClient, tag: string): Promise<string> {
  const names = await createFreshTables(client, `bench-${tag}`);
  for (const key of Object.keys(TABLES) as TableKey[]) {
    if (key !== 'members') await client.send(new DeleteTableCommand({ TableName: names[key] }));
  }
  return names.members;
}
