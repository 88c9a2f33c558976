import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
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

/**
 * The whole service in an app: the stateful stack (tables, secrets) and the API stack that uses
 * it. bin/app.ts and the infrastructure tests build it the same way.
 */
export function addLineIdLinkStacks(
  app: App,
  settings: Settings,
  plan: DeploymentPlan = planDeployment(settings),
): LineIdLinkStacks {
  for (const [flag, value] of Object.entries(FEATURE_FLAGS)) {
    if (app.node.tryGetContext(flag) === undefined) app.node.setContext(flag, value);
  }
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
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
