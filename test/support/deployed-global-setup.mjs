import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import dynamoDbLocalSetup from './global-setup.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The `deployed` project's setup: DynamoDB Local (shared with the other projects of the run when
 * one already started it), and the cloud assembly synthesized once for the run exactly as a
 * deployer's `cdk synth` does: the pinned CLI, a concrete region and account, the test settings
 * (deployed-settings.json: every pattern, placeholder URLs each suite replaces with its
 * emulators'). LINE_ID_LINK_TEST_ASSEMBLY names a ready assembly to reuse instead (local runs).
 */
export default async function deployedGlobalSetup() {
  if (!globalThis.__dynamoDbLocalProcess) await dynamoDbLocalSetup();
  const work = mkdtempSync(join(tmpdir(), 'line-id-link-deployed-'));
  process.env.DEPLOYED_IAM_DIR = join(work, 'iam');
  if (process.env.LINE_ID_LINK_TEST_ASSEMBLY) return;
  const outdir = join(work, 'cdk.out');
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
    throw new Error(`cdk synth for the deployed project failed:\n${error.stderr ?? error.message}`, {
      cause: error,
    });
  }
  process.env.LINE_ID_LINK_TEST_ASSEMBLY = outdir;
}
