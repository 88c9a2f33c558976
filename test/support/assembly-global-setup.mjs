import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The cloud assembly of the run, synthesized once exactly as a deployer's `cdk synth` does: the
 * pinned CLI, a concrete region and account, every nag pack, the test settings
 * (deployed-settings.json: every pattern, placeholder URLs each suite replaces with its
 * emulators'). The infra project checks its templates and bundles (first-deploy-traps), the
 * deployed project serves it. LINE_ID_LINK_TEST_ASSEMBLY names a ready assembly to reuse
 * instead (local runs), and a second project of the same run finds it there.
 */
export default async function assemblyGlobalSetup() {
  if (process.env.LINE_ID_LINK_TEST_ASSEMBLY) return;
  const outdir = join(mkdtempSync(join(tmpdir(), 'line-id-link-assembly-')), 'cdk.out');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|CDK_)/.test(name)));
  try {
    await promisify(execFile)(
      'npx',
      ['cdk', 'synth', '--quiet', '-c', 'settings=test/support/deployed-settings.json', '-o', outdir],
      {
        cwd: ROOT,
        env: {
          ...env,
          NODE_OPTIONS: '',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          AWS_REGION: 'ap-northeast-1',
          CDK_DEFAULT_ACCOUNT: '123456789012',
        },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  } catch (error) {
    throw new Error(`cdk synth of the test assembly failed:\n${error.stderr ?? error.message}`, {
      cause: error,
    });
  }
  process.env.LINE_ID_LINK_TEST_ASSEMBLY = outdir;
  process.env.LINE_ID_LINK_TEST_ASSEMBLY_OWNED = 'true';
}
