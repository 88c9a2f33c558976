/**
 * One run of the `import` bench, in its own process so its peak RSS is its own:
 * `node --import tsx bench/import-child.ts <project|baseline> <endpoint> <table> <concurrency> <csv> <rows>`.
 * Prints one JSON line: `{"rows", "seconds", "maxRssMb", "cpuSeconds"}`.
 *
 * - project: `npm run import` itself (runImportCli: stream, validate, normalize, HMAC, differential
 *   check, bounded parallel BatchWriteItem, checkpoint), without the progress bar;
 * - baseline: the least any import must do — a bare loop of `concurrency` workers each sending
 *   BatchWriteItem requests of 25 equivalent items (same attributes and sizes, values made up,
 *   no file, no parsing, no hashing), retrying unprocessed items.
 */
import { Writable } from 'node:stream';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamo/dynamo-client.js';
import { runImportCli } from '../functions/import/import-cli.js';

const [mode, endpoint, table, concurrencyArg, csv, rowsArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const rows = Number(rowsArg);

async function project(): Promise<number> {
  let out = '';
  const sink = new Writable({
    write(chunk, _e, done) {
      out += String(chunk);
      done();
    },
  });
  const code = await runImportCli(
    [
      csv!,
      '--endpoint',
      endpoint!,
      '--table',
      table!,
      '--concurrency',
      String(concurrency),
      '--no-progress',
      '--restart',
    ],
    {
      env: {
        ...process.env,
        MEMBER_HASH_PEPPER: 'bench-pepper-0123456789abcdef',
        MEMBER_FACTORS: 'birthDate,postalCode',
      },
      cwd: process.cwd(),
      stdout: sink,
      stderr: sink,
    },
  );
  const written = /^\s+written\s+(\d+)$/m.exec(out)?.[1];
  if (code !== 0 || written === undefined) throw new Error(`import failed (${code}): ${out}`);
  return Number(written);
}

async function baseline(): Promise<number> {
  const client = createDocumentClient({ endpoint });
  const hash = 'x'.repeat(43);
  const importedAt = new Date().toISOString();
  let next = 0;
  let written = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const start = next;
        if (start >= rows) return;
        const end = Math.min(rows, start + 25);
        next = end;
        let requests = Array.from({ length: end - start }, (_, k) => {
          const memberId = `M-${String(start + k).padStart(7, '0')}`;
          return {
            PutRequest: {
              Item: {
                pk: `MEMBER#${memberId}`,
                memberId,
                companyUserId: memberId,
                factors: { birthDate: hash, postalCode: hash }, // MEMBER_FACTORS of the bench
                contentHash: hash.slice(0, 22),
                importedAt,
              },
            },
          };
        });
        while (requests.length) {
          const result = await client.send(new BatchWriteCommand({ RequestItems: { [table!]: requests } }));
          requests = (result.UnprocessedItems?.[table!] ?? []) as typeof requests;
        }
        written += end - start;
      }
    }),
  );
  client.destroy();
  return written;
}

const started = performance.now();
const written = mode === 'project' ? await project() : await baseline();
const seconds = (performance.now() - started) / 1000;
const usage = process.resourceUsage();
const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
process.stdout.write(
  `${JSON.stringify({ rows: written, seconds, maxRssMb: usage.maxRSS / 1024, cpuSeconds })}\n`,
);
