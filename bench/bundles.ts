import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { TABLES } from '../functions/manifest/table-definitions.js';
import { ESBUILD_OPTIONS, handlerEntry, PROJECT_ROOT } from '../lib/bundling.js';
import { FUNCTIONS } from '../functions/manifest/functions.js';
import { inFreshProcess } from './fresh-process.js';
import { interleave, ms, percentile } from './stats.js';
import type { BenchRow, BenchSuite } from './types.js';

/**
 * Each deployed function's bundle, built with the deployment's own esbuild options
 * (lib/bundling.ts), against a bundle that only imports @aws-sdk/client-dynamodb, built the same
 * way: bundle size, and cold import time in a fresh `node` process (as a Lambda cold start pays
 * it: with source maps enabled, like the functions), the two measured alternately, median of
 * 9 rounds (21 with --large). Reports, not gates: what users wait for is the whole cold
 * request, gated in cold-request.ts.
 */
export const BASELINE_SOURCE =
  "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const c = new DynamoDBClient({});\n";
/**
 * What the dependencies every API handler loads cost at cold start on their own: the SDK-only
 * baseline plus one of them, used the way the handlers use it at module scope. The sum of their
 * excess over the baseline is the floor of any handler's cold import that keeps them.
 */
const DEPENDENCY_SOURCES: Record<string, string> = {
  'Powertools Logger':
    "import { Logger } from '@aws-lambda-powertools/logger';\nexport const l = new Logger();",
  'Powertools Metrics':
    "import { Metrics } from '@aws-lambda-powertools/metrics';\nexport const m = new Metrics({ namespace: 'LineIdLink' });",
  'jose (jwtVerify, remote JWKS)':
    "import { createRemoteJWKSet, jwtVerify } from 'jose';\nexport const j = createRemoteJWKSet(new URL('https://api.line.me/oauth2/v2.1/certs'));\nexport const v = jwtVerify;",
  'zod/mini (an object schema)':
    "import * as z from 'zod/mini';\nexport const s = z.object({ a: z.string().check(z.minLength(1)) });",
  'middy with the HTTP middlewares':
    "import middy from '@middy/core';\nimport cors from '@middy/http-cors';\nimport headers from '@middy/http-security-headers';\nimport normalizer from '@middy/http-header-normalizer';\nexport const h = middy().use(normalizer()).use(cors()).use(headers()).handler(async () => ({}));",
  '@aws-sdk/lib-dynamodb (document client)':
    "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';\nexport const d = DynamoDBDocumentClient.from(c);",
};

/** What a cold start finds in the environment: dummy settings, so config loading at import passes. */
export const CHILD_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'ap-northeast-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_SERVICE_NAME: 'line-id-link',
  POWERTOOLS_METRICS_NAMESPACE: 'LineIdLink',
  LINE_CHANNEL_ID: '1234567890',
  LINE_CHANNEL_SECRET: 'bench-channel-secret',
  COMPANY_OIDC_ISSUER: 'https://idp.example.com',
  COMPANY_OIDC_CLIENT_ID: 'line-id-link',
  COMPANY_OIDC_CLIENT_SECRET: 'bench-client-secret',
  PUBLIC_BASE_URL: 'https://api.example.com',
  APP_RETURN_URLS: 'https://app.example.com/linked',
  COMPANY_API_URL: 'https://api.example.com/members/verify',
  COMPANY_API_AUTH: 'oauth',
  COMPANY_API_TOKEN_URL: 'https://idp.example.com/oauth2/token',
  COMPANY_API_CLIENT_ID: 'line-id-link-api',
  COMPANY_API_CLIENT_SECRET: 'bench-api-secret',
  MEMBER_FACTORS: 'birthDate,postalCode',
  MEMBER_HASH_PEPPER: 'bench-pepper-0123456789abcdef',
  LINE_MESSAGING_CHANNEL_ID: '2000000002',
  LINE_MESSAGING_CHANNEL_SECRET: 'bench-messaging-secret',
  LINK_EVENT_BUS_NAME: 'line-id-link-link-events',
  ...Object.fromEntries(Object.values(TABLES).map((t) => [t.envVar, t.defaultName])),
};

/**
 * CPU milliseconds (user + system) the `import()` of the bundle costs in a new process. CPU time
 * rather than wall time: on a shared machine, other processes stretch wall time at random, while
 * the work of loading, parsing and evaluating the module (the file is in the page cache after
 * the warm-up) stays what it is.
 */
const IMPORT_SCRIPT =
  'const c = process.cpuUsage(); await import(process.env.BENCH_MODULE); const d = process.cpuUsage(c); process.stdout.write(String((d.user + d.system) / 1000));';

async function coldImport(file: string): Promise<number> {
  const out = await inFreshProcess(
    IMPORT_SCRIPT,
    { ...CHILD_ENV, BENCH_MODULE: pathToFileURL(file).href },
    `importing ${file}`,
  );
  const value = Number(out);
  if (!Number.isFinite(value)) throw new Error(`importing ${file} printed no CPU time: ${out}`);
  return value;
}

/** A handler's entry file, or source text bundled as it is (the baselines). */
export type BundleInput = { entry: string } | { source: string };

/** The deployment's esbuild options for `input` (lib/bundling.ts), output left to the caller. */
export function bundleOptions(input: BundleInput) {
  return {
    ...ESBUILD_OPTIONS,
    ...('entry' in input
      ? { entryPoints: [input.entry] }
      : {
          stdin: {
            contents: input.source,
            resolveDir: PROJECT_ROOT,
            loader: 'ts' as const,
            sourcefile: 'baseline.ts',
          },
        }),
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'silent' as const,
  };
}

export async function bundle(outdir: string, name: string, input: BundleInput): Promise<string> {
  const outfile = join(outdir, name, 'index.mjs');
  await build({ ...bundleOptions(input), outfile });
  return outfile;
}

/** Cold import CPU of `file` against the baseline's, measured alternately (median of `rounds`). */
async function importRow(name: string, file: string, baseline: string, rounds: number): Promise<BenchRow> {
  await coldImport(file);
  const samples = await interleave(
    rounds,
    () => coldImport(file),
    () => coldImport(baseline),
  );
  const project = percentile(samples.project, 50);
  const base = percentile(samples.baseline, 50);
  return {
    name,
    project: ms(project),
    baseline: ms(base),
    ratio: project / base,
    target: 'report',
    pass: true,
  };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

const suite: BenchSuite = {
  name: 'bundles',
  async run({ large }) {
    const rounds = large ? 21 : 9;
    const handlers = FUNCTIONS.map((fn) => fn.handler);
    const outdir = mkdtempSync(join(tmpdir(), 'line-id-link-bundles-'));
    try {
      const baseline = await bundle(outdir, 'baseline', { source: BASELINE_SOURCE });
      const baselineBytes = statSync(baseline).size;
      await coldImport(baseline); // warms the file cache for both sides alike
      const rows: BenchRow[] = [];
      for (const handler of handlers) {
        const file = await bundle(outdir, handler, { entry: handlerEntry(handler) });
        const bytes = statSync(file).size;
        rows.push({
          name: `${handler} bundle size`,
          project: kb(bytes),
          baseline: kb(baselineBytes),
          ratio: bytes / baselineBytes,
          target: 'report',
          pass: true,
        });
        rows.push(await importRow(`${handler} cold import (CPU)`, file, baseline, rounds));
      }
      for (const [dependency, source] of Object.entries(DEPENDENCY_SOURCES)) {
        const file = await bundle(outdir, `dependency-${rows.length}`, {
          source: `${BASELINE_SOURCE}${source}\n`,
        });
        rows.push(await importRow(`SDK-only + ${dependency}, cold import (CPU)`, file, baseline, rounds));
      }
      return rows;
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  },
};
export default suite;
