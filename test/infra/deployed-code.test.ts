import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT, handlerEntry } from '../../lib/bundling.js';
import { planDeployment } from '../../lib/plan.js';
import { readSettings } from '../../lib/settings.js';
import type { Json } from './app-fixture.js';

/**
 * What ships in the Lambda bundles of the test assembly (the CLI synth of the infra globalSetup,
 * test/support/deployed-settings.json: every pattern), read from each bundle's esbuild metafile
 * (LAMBDA_BUNDLING `metafile`). The local server, the emulators, the demo, the OpenAPI document,
 * the CLIs and the repository's tooling run on a developer's machine only: none of it may reach
 * a deployed function, where it would be code nobody tested in that role and that widens what
 * an attacker could reach.
 */
const LOCAL_ONLY = [
  'functions/local/',
  'functions/export/',
  'functions/import/',
  'functions/messages/send-cli',
  'functions/cli/',
  'bin/',
  'test/',
  'bench/',
];

interface Bundle {
  /** The function's logical ID in the API stack. */
  readonly logicalId: string;
  /** The bundle's entry point, relative to the repository root. */
  readonly entryPoint: string;
  /** Every source file esbuild put in it, relative to the repository root. */
  readonly inputs: readonly string[];
  /** Size of the metafile, in bytes. */
  readonly metafileBytes: number;
}

function readBundles(outdir: string): Bundle[] {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as Json;
  const apiStack = Object.entries(manifest.artifacts as Json).find(
    ([name, artifact]) => artifact.type === 'aws:cloudformation:stack' && name.endsWith('-Api'),
  );
  if (!apiStack) throw new Error(`No API stack in ${outdir}/manifest.json.`);
  const template = JSON.parse(
    readFileSync(join(outdir, apiStack[1].properties.templateFile as string), 'utf8'),
  ) as Json;
  return Object.entries(template.Resources as Json)
    .filter(
      ([, resource]) =>
        resource.Type === 'AWS::Lambda::Function' &&
        String(resource.Properties?.Description ?? '').startsWith('line-id-link '),
    )
    .map(([logicalId, resource]) => {
      const metafilePath = join(outdir, resource.Metadata['aws:asset:path'] as string, 'index.meta.json');
      if (!existsSync(metafilePath)) throw new Error(`${logicalId}: its bundle has no metafile.`);
      const text = readFileSync(metafilePath, 'utf8');
      const metafile = JSON.parse(text) as {
        inputs: Record<string, unknown>;
        outputs: Record<string, { entryPoint?: string }>;
      };
      const entryPoint = Object.values(metafile.outputs).find((output) => output.entryPoint)?.entryPoint;
      if (!entryPoint) throw new Error(`${logicalId}: its metafile names no entry point.`);
      return {
        logicalId,
        entryPoint,
        inputs: Object.keys(metafile.inputs),
        metafileBytes: Buffer.byteLength(text),
      };
    });
}

let bundles: Bundle[];

beforeAll(() => {
  const outdir = process.env.LINE_ID_LINK_TEST_ASSEMBLY;
  if (!outdir)
    throw new Error('LINE_ID_LINK_TEST_ASSEMBLY is not set: run through jest (infra globalSetup).');
  bundles = readBundles(outdir);
});

describe('the deployed bundles', () => {
  it('are one per function of the deployment, each built from its own handler', () => {
    const settings = readSettings({
      context: (key) => (key === 'settings' ? 'test/support/deployed-settings.json' : undefined),
      env: {},
      cwd: PROJECT_ROOT,
    });
    const plan = planDeployment(settings);
    const handlers = [...plan.routes, plan.fallback, ...plan.events].map((fn) => fn.handler);
    const entry = (handler: string) => relative(PROJECT_ROOT, handlerEntry(handler));
    expect(bundles.map((b) => b.entryPoint).sort()).toEqual(handlers.map(entry).sort());
    for (const handler of handlers) {
      const bundle = bundles.find((b) => b.entryPoint === entry(handler))!;
      expect({ handler, has: bundle.inputs.includes(`functions/handlers/${handler}.ts`) }).toEqual({
        handler,
        has: true,
      });
    }
  });

  it('hold no local-only code (local server, emulators, demo, OpenAPI document, CLIs, tooling)', () => {
    const shipped = bundles.flatMap((bundle) =>
      bundle.inputs
        .filter((input) => LOCAL_ONLY.some((prefix) => input.startsWith(prefix)))
        .map((input) => `${bundle.entryPoint}: ${input}`),
    );
    expect(shipped).toEqual([]);
  });

  it('name the repository’s own sources relative to its root', () => {
    // A source path outside the root (`../`) would slip past the prefixes above. Packages may
    // resolve elsewhere (a node_modules shared between worktrees).
    const outside = bundles.flatMap((bundle) =>
      bundle.inputs.filter(
        (input) => !input.includes('node_modules/') && (input.startsWith('../') || input.startsWith('/')),
      ),
    );
    expect(outside).toEqual([]);
  });
});
