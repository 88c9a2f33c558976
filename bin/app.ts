import { App } from 'aws-cdk-lib';
import { addComplianceChecks, addLineIdLinkStacks, formatSynthSummary } from '../lib/line-id-link-app.js';
import { readSettings, SettingsError } from '../lib/settings.js';

/**
 * The CDK app (cdk.json runs it): `npx cdk deploy --all -c settings=deploy.json`, or settings as
 * single context values / environment variables. See docs/deploy.md.
 *
 * A deployer sees the settings summary and cdk-nag's verdict. CDK announces every asset it
 * bundles ("Bundling asset …"), two dozen lines that say nothing when all goes well: they are
 * held back, and a bundling failure still ends the synth with CDK's own error naming the asset.
 */
const write = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
  typeof chunk === 'string' && /^Bundling asset \S+\.\.\.\n$/.test(chunk)
    ? true
    : write(chunk, ...rest)) as typeof process.stderr.write;

const app = new App();
try {
  const settings = readSettings({ context: (key) => app.node.tryGetContext(key) });
  // The CLI resolves both (AWS_REGION or the profile; us-east-1 when nothing is configured).
  const stacks = addLineIdLinkStacks(app, settings, {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  addComplianceChecks(app);
  // A finding of cdk-nag fails here with its report; reaching the summary means the pack passed.
  app.synth();
  process.stderr.write(`${formatSynthSummary(stacks)}\n`);
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  process.stderr.write(`${error.message}\n\nSee docs/deploy.md, "Settings".\n`);
  process.exit(1);
}
