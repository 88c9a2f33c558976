import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../lib/bundling.js';
import { synthApp } from './app-fixture.js';

/**
 * The synth a deployer runs: the pinned CDK CLI (`npm run synth`'s command) with the example
 * settings, a concrete account and region, every nag pack bin/app.ts applies. The CLI always
 * resolves a region (AWS_REGION, the profile, else us-east-1), so an acknowledgement that only
 * matches `<AWS::Region>` passes the environment-agnostic synth and fails the real one.
 */
const run = promisify(execFile);
const ACCOUNT = '123456789012';

interface CliSynth {
  code: number;
  stderr: string;
  stdout: string;
  outdir: string;
}

async function cliSynth(env: Record<string, string>): Promise<CliSynth> {
  const outdir = mkdtempSync(join(tmpdir(), 'line-id-link-cli-synth-'));
  const args = ['cdk', 'synth', '--quiet', '-c', 'settings=deploy.example.json', '-o', outdir];
  // Nothing of this machine's AWS setup leaks in: no profile, only what the test sets.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(AWS_|CDK_)/.test(name)),
  ) as Record<string, string>;
  try {
    const { stdout, stderr } = await run('npx', args, {
      cwd: PROJECT_ROOT,
      env: { ...base, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr, outdir };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', outdir };
  }
}

function stackEnvironments(outdir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; environment?: string }>;
  };
  return Object.values(manifest.artifacts)
    .filter((artifact) => artifact.type === 'aws:cloudformation:stack')
    .map((artifact) => artifact.environment!);
}

describe('npm run synth as the CDK CLI runs it', () => {
  let synth: CliSynth;
  beforeAll(async () => {
    synth = await cliSynth({ AWS_REGION: 'ap-northeast-1', CDK_DEFAULT_ACCOUNT: ACCOUNT });
  }, 180_000);
  afterAll(() => rmSync(synth.outdir, { recursive: true, force: true }));

  it('succeeds with a concrete region and account, cdk-nag clean', () => {
    expect({ code: synth.code, stderr: synth.code === 0 ? '' : synth.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(stackEnvironments(synth.outdir)).toEqual([
      `aws://${ACCOUNT}/ap-northeast-1`,
      `aws://${ACCOUNT}/ap-northeast-1`,
    ]);
    const report = JSON.parse(readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ violations: unknown[] }>;
    };
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });

  it('tells the deployer the settings summary and the nag verdict, without bundling chatter', () => {
    const output = `${synth.stdout}${synth.stderr}`;
    expect(output).toContain(`for account ${ACCOUNT}, region ap-northeast-1`);
    expect(output).toContain('linking patterns: oidc, web, api, record');
    expect(output).toContain('cdk-nag AwsSolutions: passed');
    expect(output).not.toMatch(/Bundling asset|⚡ Done|index\.mjs/);
    // The summary, the CLI's own two or three lines, nothing per function.
    expect(output.trim().split('\n').length).toBeLessThan(15);
  });
});

describe.each<[string, { account?: string; region?: string }]>([
  ['us-east-1 with an account', { account: ACCOUNT, region: 'us-east-1' }],
  ['ap-northeast-1 with an account', { account: ACCOUNT, region: 'ap-northeast-1' }],
  ['an unresolved environment', {}],
])('the app with every pattern and cdk-nag, %s', (_label, env) => {
  it('synthesizes with no nag finding', () => {
    // A finding not acknowledged in code makes app.synth() throw.
    const synth = synthApp({ nag: true, bundle: false, env });
    try {
      const report = JSON.parse(readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: Array<{ violations: unknown[] }>;
      };
      expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
      expect(synth.api.region).toBe(env.region ?? synth.api.region);
    } finally {
      rmSync(synth.outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
