import type { BenchRow, BenchSuite } from './types.js';

/**
 * `npm run bench [-- --large] [-- --only NAME]`: runs every suite and prints one table of
 * ratios, each measured side by side with a bare baseline in this same run.
 */
const suites: Array<() => Promise<{ default: BenchSuite }>> = [
  () => import('./links.js'),
  () => import('./export.js'),
  () => import('./bundles.js'),
  () => import('./web-flow.js'),
  () => import('./import.js'),
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const large = args.includes('--large');
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
  const rows: BenchRow[] = [];
  for (const load of suites) {
    const suite = (await load()).default;
    if (only && !suite.name.includes(only)) continue;
    process.stderr.write(`bench: ${suite.name}…\n`);
    rows.push(...(await suite.run({ large })));
  }
  printTable(rows);
  const failed = rows.filter((r) => !r.pass).length;
  process.stdout.write(`\n${rows.length - failed} rows within target, ${failed} outside.\n`);
}

/** A Markdown table, so it can be pasted into a closing note as it is. */
export function printTable(rows: BenchRow[]): void {
  const header = ['benchmark', 'project', 'baseline', 'ratio', 'target', 'ok'];
  const lines = rows.map((r) => [r.name, r.project, r.baseline, r.ratio.toFixed(2), r.target, r.pass ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write(`${fmt(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const line of lines) process.stdout.write(`${fmt(line)}\n`);
}

await main();
