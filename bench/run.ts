import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchRow, BenchSuite } from './types.js';

/**
 * `npm run bench [-- --large] [-- --only NAME]`: runs every suite and prints one table of
 * ratios, each measured side by side with a bare baseline in the same run. Each suite runs in a
 * process of its own, so one suite's environment and module-scope caches (handlers read their
 * configuration at cold start) never leak into the next.
 */
const suites: Record<string, () => Promise<{ default: BenchSuite }>> = {
  links: () => import('./links.js'),
  'web-flow': () => import('./web-flow.js'),
  import: () => import('./import.js'),
  export: () => import('./export.js'),
  bundles: () => import('./bundles.js'),
  webhook: () => import('./webhook.js'),
  'webhook-burst': () => import('./webhook-burst.js'),
  send: () => import('./send.js'),
  'handler-cpu': () => import('./handler-cpu.js'),
  'cold-request': () => import('./cold-request.js'),
};

const ROWS_MARKER = '@@bench-rows ';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const large = args.includes('--large');
  const suiteIndex = args.indexOf('--suite');
  if (suiteIndex >= 0) {
    // Child mode: run one suite, hand its rows to the parent on stdout.
    const suite = (await suites[args[suiteIndex + 1]!]!()).default;
    const rows = await suite.run({ large });
    process.stdout.write(`${ROWS_MARKER}${JSON.stringify(rows)}\n`);
    process.exit(0);
  }
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
  const rows: BenchRow[] = [];
  for (const name of Object.keys(suites)) {
    if (only && !name.includes(only)) continue;
    process.stderr.write(`bench: ${name}…\n`);
    try {
      rows.push(...(await runChild(name, large)));
    } catch (error) {
      // One broken suite must not throw away the rows the others measured: it is a row that fails.
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      rows.push({
        name: `${name}: the suite failed (see above)`,
        project: '—',
        baseline: '—',
        ratio: Number.NaN,
        target: 'runs',
        pass: false,
      });
    }
  }
  printTable(rows);
  const failed = rows.filter((r) => !r.pass).length;
  process.stdout.write(`\n${rows.length - failed} rows within target, ${failed} outside.\n`);
}

function runChild(name: string, large: boolean): Promise<BenchRow[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--suite', name, ...(large ? ['--large'] : [])],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(ROWS_MARKER));
      if (code !== 0 || !line) {
        reject(new Error(`bench suite ${name} failed (exit ${code}):\n${out.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(ROWS_MARKER.length)) as BenchRow[]);
    });
  });
}

/** A Markdown table, so it can be pasted into a closing note as it is. */
export function printTable(rows: BenchRow[]): void {
  const header = ['benchmark', 'project', 'baseline', 'ratio', 'target', 'ok'];
  const lines = rows.map((r) => [
    r.name,
    r.project,
    r.baseline,
    r.ratio.toFixed(2),
    r.target,
    r.pass ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write(`${fmt(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const line of lines) process.stdout.write(`${fmt(line)}\n`);
}

await main();
