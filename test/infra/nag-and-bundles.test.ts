import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ROUTES } from '../../functions/manifest/routes.js';
import { synthApp, type SynthesizedApp } from './app-fixture.js';

/**
 * The app with cdk-nag's AwsSolutions pack registered: a finding not acknowledged in code fails
 * the synth itself; the report and the annotations are checked as well. The bundles are those of
 * the run's CLI-synthesized assembly (test/support/assembly-global-setup.mjs), esbuild really run.
 */
let synth: SynthesizedApp;
beforeAll(() => {
  synth = synthApp({ nag: true, bundle: false });
}, 120_000);
afterAll(() => rmSync(synth.outdir, { recursive: true, force: true }));

interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    conclusion: string;
    violations: Array<{ ruleName: string; severity: string }>;
  }>;
}

it('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
  // The synth ran the pack (an error would have thrown); its report lists only failing plugins.
  const report = JSON.parse(
    readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
  expect(
    report.pluginReports.flatMap((r) =>
      r.violations.map((v) => `${r.pluginName} ${v.severity} ${v.ruleName}`),
    ),
  ).toEqual([]);
  // The same pack run directly over the tree: no finding of any severity, warnings included.
  const direct = new AwsSolutionsChecks().validateScope(synth.app);
  expect(
    direct.violations.map(
      (v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    ),
  ).toEqual([]);
});

it('would catch a finding (the pack really checks this tree)', () => {
  const canary = new Bucket(synth.api, 'NagCanary');
  try {
    const rules = new AwsSolutionsChecks().validateScope(synth.app).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  } finally {
    synth.api.node.tryRemoveChild(canary.node.id);
  }
});

it('leaves no unacknowledged warning or error annotation on either stack', () => {
  for (const stack of [synth.stateful, synth.api]) {
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  }
});

it('bundles every function as an ES module for Node.js 22 with a source map', () => {
  const outdir = process.env.LINE_ID_LINK_TEST_ASSEMBLY!;
  const template = JSON.parse(readFileSync(join(outdir, 'LineIdLink-Api.template.json'), 'utf8')) as {
    Resources: Record<
      string,
      { Type: string; Properties: { Description?: string; Code: { S3Key: string } } }
    >;
  };
  const functions = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('line-id-link'),
  );
  expect(functions.length).toBeGreaterThanOrEqual(ROUTES.length + 1);
  for (const fn of functions) {
    const key: string = fn.Properties.Code.S3Key;
    const dir = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    const bundle = join(dir, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    expect(statSync(bundle).size).toBeGreaterThan(1000);
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    const head = readFileSync(bundle, 'utf8').slice(0, 200);
    expect(head).toContain('createRequire');
  }
});
