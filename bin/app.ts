import { App } from 'aws-cdk-lib';
import { addComplianceChecks, addLineIdLinkStacks } from '../lib/line-id-link-app.js';
import { readSettings, SettingsError } from '../lib/settings.js';

/**
 * The CDK app (cdk.json runs it): `npx cdk deploy --all -c settings=deploy.json`, or settings as
 * single context values / environment variables. See docs/deploy.md.
 */
const app = new App();
try {
  const settings = readSettings({ context: (key) => app.node.tryGetContext(key) });
  addLineIdLinkStacks(app, settings);
  addComplianceChecks(app);
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  process.stderr.write(`${error.message}\n\nSee docs/deploy.md, "Settings".\n`);
  process.exit(1);
}
