import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { LogLevel, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How every function is bundled, in one place: the CDK functions (through NodejsFunction, which
 * runs the local esbuild) and `npm run bench` (which runs esbuild directly with the same options)
 * build the same bundle.
 *
 * - ESM for Node.js 22 (middy and jose are ESM-only), with a `createRequire` banner so the few
 *   CommonJS dependencies that call `require` still work inside an ES module.
 * - `module` before `main`, so dual packages (the AWS SDK v3 among them) resolve to their ESM
 *   builds and tree-shake.
 * - The AWS SDK is bundled rather than taken from the runtime: the deployed code runs exactly the
 *   SDK version the tests ran, and a tree-shaken bundle loads faster than the runtime's full SDK.
 * - Minified, with linked source maps (without sources: the map only maps, it does not ship the
 *   code twice); `NODE_OPTIONS=--enable-source-maps` on the function makes stack traces readable.
 */
export const NODE_TARGET = 'node22';

/** Gives the ES module bundle a `require` for bundled CommonJS code that calls it. */
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);";

export const MAIN_FIELDS = ['module', 'main'];

/** esbuild's own options (bench/bundles.ts builds with these). */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: NODE_TARGET,
  minify: true,
  // Class names survive minification: logs name errors (`StorageUnavailableError`, not `t`).
  keepNames: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: MAIN_FIELDS,
  banner: { js: CREATE_REQUIRE_BANNER },
  outExtension: { '.js': '.mjs' },
} as const satisfies BuildOptions;

/** The same options in NodejsFunction's vocabulary (it runs esbuild with them). */
export const LAMBDA_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: ESBUILD_OPTIONS.target,
  minify: ESBUILD_OPTIONS.minify,
  keepNames: ESBUILD_OPTIONS.keepNames,
  sourceMap: ESBUILD_OPTIONS.sourcemap,
  sourcesContent: ESBUILD_OPTIONS.sourcesContent,
  mainFields: [...MAIN_FIELDS],
  banner: ESBUILD_OPTIONS.banner.js,
  bundleAwsSDK: true,
  externalModules: [],
  // Warnings and errors only: esbuild's per-bundle size report is noise in a synth.
  logLevel: LogLevel.WARNING,
  // index.meta.json beside the bundle: which source files it holds, so a test can prove that no
  // local-only code ships (test/infra/deployed-code.test.ts). Lambda never loads it.
  metafile: true,
};

/** The repository root (NodejsFunction's project root and the base of function entries). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The entry of function `handler` (its manifest name): functions/lambda/<handler>.ts, which builds
 * the handler of functions/handlers/ from the Lambda composition root at cold start.
 */
export function handlerEntry(handler: string): string {
  return join(PROJECT_ROOT, 'functions', 'lambda', `${handler}.ts`);
}
