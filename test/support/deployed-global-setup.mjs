import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assemblyGlobalSetup from './assembly-global-setup.mjs';
import dynamoDbLocalSetup from './global-setup.mjs';

/**
 * The `deployed` project's setup: DynamoDB Local (shared with the other projects of the run when
 * one already started it), the run's cloud assembly (assembly-global-setup.mjs), and a folder for
 * the suites' IAM findings (deployed-global-teardown.mjs reports them).
 */
export default async function deployedGlobalSetup() {
  if (!globalThis.__dynamoDbLocalProcess) await dynamoDbLocalSetup();
  await assemblyGlobalSetup();
  process.env.DEPLOYED_IAM_DIR = join(mkdtempSync(join(tmpdir(), 'line-id-link-deployed-')), 'iam');
}
