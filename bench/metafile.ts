import { build } from 'esbuild';
import { FALLBACK_ROUTE, ROUTES } from '../functions/manifest/routes.js';
import { handlerEntry } from '../lib/bundling.js';
import { BASELINE_SOURCE, bundleOptions, type BundleInput } from './bundles.js';

/**
 * `npx tsx bench/metafile.ts [handler…]`: what each handler's bundle holds beyond the SDK-only
 * baseline of bench/bundles.ts, by package, from esbuild's metafile (bytes in the minified
 * output). The evidence behind docs/performance.md: it names what a handler loads that its
 * request path does not use.
 */
async function contributors(input: BundleInput) {
  const result = await build({
    ...bundleOptions(input),
    outdir: 'metafile-out',
    write: false,
    metafile: true,
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint)!;
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const key = pkg ?? (path.startsWith('functions/') ? `functions/${path.split('/')[1]}` : path);
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
  }
  return { bytes: output.bytes, byPackage };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const handlers = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [...ROUTES.map((r) => r.handler), FALLBACK_ROUTE.handler];
const baseline = await contributors({ source: BASELINE_SOURCE });
process.stdout.write(`SDK-only baseline: ${kb(baseline.bytes)}\n`);
for (const handler of handlers) {
  const { bytes, byPackage } = await contributors({ entry: handlerEntry(handler) });
  const extra = [...new Set([...byPackage.keys(), ...baseline.byPackage.keys()])]
    .map((key) => [key, (byPackage.get(key) ?? 0) - (baseline.byPackage.get(key) ?? 0)] as const)
    .filter(([, delta]) => delta >= 1024)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  process.stdout.write(
    `${handler}: ${kb(bytes)} (${(bytes / baseline.bytes).toFixed(2)}×); beyond the baseline: ${extra
      .map(([key, delta]) => `${key} ${kb(delta)}`)
      .join(', ')}\n`,
  );
}
