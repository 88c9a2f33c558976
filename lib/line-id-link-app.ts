import { Token, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MEMBER_IMPORT } from '../functions/manifest/functions.js';
import { ApiStack } from './api-stack.js';
import { planDeployment, type DeploymentPlan } from './plan.js';
import type { Settings } from './settings.js';
import { StatefulStack } from './stateful-stack.js';

/**
 * Feature flags the stacks rely on, set here (unless cdk.json or -c sets them) so the tests
 * build exactly what `cdk synth` builds.
 */
const FEATURE_FLAGS: Record<string, unknown> = {
  // Strong cross-stack references (CloudFormation exports): a table the API stack still uses
  // cannot be removed or replaced from under it. Set explicitly, as CDK recommends.
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
  // S3 server access logs delivered through a bucket policy, not ACLs (which stay disabled).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};

export interface LineIdLinkStacks {
  stateful: StatefulStack;
  api: ApiStack;
  plan: DeploymentPlan;
}

/** Where the stacks go; undefined parts stay tokens (an environment-agnostic synth). */
export interface StackEnvironment {
  account?: string;
  region?: string;
}

/**
 * The whole service in an app: the stateful stack (tables, secrets) and the API stack that uses
 * it. bin/app.ts and the infrastructure tests build it the same way; bin/app.ts passes the
 * account and region the CDK CLI resolved (CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION).
 */
export function addLineIdLinkStacks(
  app: App,
  settings: Settings,
  options: { plan?: DeploymentPlan; env?: StackEnvironment } = {},
): LineIdLinkStacks {
  const plan = options.plan ?? planDeployment(settings);
  const env = options.env ?? {};
  for (const [flag, value] of Object.entries(FEATURE_FLAGS)) {
    if (app.node.tryGetContext(flag) === undefined) app.node.setContext(flag, value);
  }
  const stateful = new StatefulStack(app, `${settings.stackPrefix}-Stateful`, {
    env,
    settings,
    secretsInUse: plan.secrets,
    description: 'line-id-link: tables and secrets (retained on deletion)',
  });
  const api = new ApiStack(app, `${settings.stackPrefix}-Api`, {
    env,
    settings,
    plan,
    stateful,
    description: 'line-id-link: HTTP API, functions, member import, alarms and dashboard',
  });
  return { stateful, api, plan };
}

/** cdk-nag's AwsSolutions pack at synth: any finding not acknowledged in code fails the synth. */
export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/**
 * What `cdk synth` and `cdk deploy` tell the deployer once the app is built: where the stacks go,
 * which patterns and routes they carry, the secrets they create or reuse, and cdk-nag's verdict.
 */
export function formatSynthSummary({ stateful, api, plan }: LineIdLinkStacks): string {
  const { settings } = api;
  const where = (value: string, unresolved: string) => (Token.isUnresolved(value) ? unresolved : value);
  const admin = plan.routes.filter((route) => route.authorization === 'aws-iam').length;
  const secrets = plan.secrets.map(
    (name) => `${name} (${settings.secretArns[name] ? 'existing' : 'created'})`,
  );
  return [
    `line-id-link: ${stateful.stackName} and ${api.stackName} for account ${where(api.account, '(from the CLI profile)')}, region ${where(api.region, '(from the CLI profile)')}`,
    `  linking patterns: ${[...settings.patterns].join(', ') || 'none'}`,
    `  HTTP API: ${plan.routes.length} routes (${admin} IAM-authorized admin routes), ${api.functions.length} functions`,
    `  member import from S3: ${plan.events.includes(MEMBER_IMPORT) ? 'on' : 'off'}`,
    `  secrets: ${secrets.join(', ') || 'none'}`,
    '  cdk-nag AwsSolutions: passed (no unacknowledged finding)',
  ].join('\n');
}
