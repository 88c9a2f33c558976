import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readDeployedApp, taggedNaming } from '../../functions/local/artifacts/cloud-assembly.js';
import { createFunctionHost, type InitResult } from '../../functions/local/artifacts/function-host.js';
import type { DeployedApp, DeployedFunction, Json } from '../../functions/local/artifacts/types.js';
import { ALL_PATTERNS_CONTEXT, synthApp, type SynthesizedApp } from './app-fixture.js';

/**
 * What breaks a first `cdk deploy` (or its first requests) although synth passes: checked on the
 * templates and bundles the CLI would deploy, synthesized as the CLI does (region and account
 * resolved, every nag pack).
 */

const REGION = 'ap-northeast-1';
const ACCOUNT = '123456789012';

/**
 * The longest STACK_PREFIX lib/settings.ts accepts: a stack name is at most 128 characters
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html), and
 * the longest stack name suffix is `-Stateful`.
 */
const LONGEST_STACK_PREFIX = `LineIdLinkStaging${'x'.repeat(128 - '-Stateful'.length - 'LineIdLinkStaging'.length)}`;

/** Names as CloudFormation generates them for unnamed resources: stack, logical ID, 13 random characters. */
const CLOUDFORMATION_LIKE = taggedNaming('1ABCDEFGHIJKL');

let longest: SynthesizedApp;
let app: DeployedApp;
let longestApp: DeployedApp;

beforeAll(() => {
  // The run's assembly, synthesized by the pinned CLI as a deployer's `cdk synth` does
  // (test/support/assembly-global-setup.mjs): the bundles and templates `cdk deploy` uploads.
  const outdir = process.env.LINE_ID_LINK_TEST_ASSEMBLY;
  if (!outdir)
    throw new Error('LINE_ID_LINK_TEST_ASSEMBLY is not set: run through jest (infra globalSetup).');
  longest = synthApp({
    bundle: false,
    env: { account: ACCOUNT, region: REGION },
    context: { ...ALL_PATTERNS_CONTEXT, stackPrefix: LONGEST_STACK_PREFIX },
  });
  app = readDeployedApp(outdir, CLOUDFORMATION_LIKE);
  longestApp = readDeployedApp(longest.outdir, CLOUDFORMATION_LIKE);
}, 180_000);

afterAll(() => {
  if (longest) rmSync(longest.outdir, { recursive: true, force: true });
});

function templateResource(deployed: DeployedApp, stack: string, logicalId: string): Json {
  return deployed.stacks.find((s) => s.name === stack)!.template.Resources[logicalId];
}

/**
 * Functions built from functions/handlers: their bundle is esbuild's ES module `index.mjs`
 * (lib/bundling.ts) and their description starts with the service name (api-stack.ts). CDK's own
 * custom-resource providers (an `index.js` asset, or Python inline in the template) are neither.
 */
function isServiceFunction(fn: DeployedFunction): boolean {
  return fn.assetDir !== '' && existsSync(join(fn.assetDir, 'index.mjs'));
}

describe('first-deploy traps', () => {
  it('tells the service functions from CDK’s own by their bundle, and their descriptions agree', () => {
    const ours = app.functions.filter(isServiceFunction);
    expect(ours.length).toBeGreaterThanOrEqual(20);
    for (const fn of app.functions) {
      const description = String(templateResource(app, fn.stack, fn.logicalId).Properties.Description ?? '');
      expect({ fn: fn.path, service: description.startsWith('line-id-link') }).toEqual({
        fn: fn.path,
        service: isServiceFunction(fn),
      });
    }
  });

  it('every bundle loads, module scope included, with exactly the environment its template gives, without the network', async () => {
    const outcomes: Array<{ fn: string } & InitResult> = [];
    for (const fn of app.functions.filter(isServiceFunction)) {
      const host = createFunctionHost(fn, { environment: fn.environment, region: REGION, account: ACCOUNT });
      try {
        outcomes.push({ fn: fn.path, ...(await host.init()) });
      } finally {
        await host.close();
      }
    }
    const failed = outcomes.filter((o) => !o.ok || o.connections.length > 0);
    expect(failed).toEqual([]);
  }, 60_000);

  it.each([
    ['the example prefix', () => app],
    ['the longest stack prefix', () => longestApp],
  ])("each function's environment fits Lambda's 4 KB and uses no reserved name (%s)", (_label, deployed) => {
    const problems: string[] = [];
    for (const fn of deployed().functions) {
      // Lambda measures the variables as one JSON string (its error says "String measured: {…}"),
      // at most 4 KB: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
      const size = Buffer.byteLength(JSON.stringify(fn.environment));
      if (size > 4096) problems.push(`${fn.path}: ${size} bytes of environment`);
      const reserved = Object.keys(fn.environment).filter((name) => RESERVED.has(name));
      if (reserved.length > 0) problems.push(`${fn.path}: reserved ${reserved.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it("every function behind the HTTP API times out before API Gateway's 30 s integration limit", () => {
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
    const behindApi = new Set(app.httpApi.routes.map((route) => route.functionLogicalId));
    expect(behindApi.size).toBeGreaterThanOrEqual(15);
    const api = app.stacks.find((s) => s.name === 'LineIdLink-Api')!.template.Resources;
    for (const integration of Object.values(api).filter((r) => r.Type === 'AWS::ApiGatewayV2::Integration')) {
      expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
      expect(behindApi.has(integration.Properties.IntegrationUri['Fn::GetAtt'][0])).toBe(true);
    }
    const tooSlow = app.functions
      .filter((fn) => behindApi.has(fn.logicalId))
      .filter((fn) => !(fn.timeoutSeconds < 30))
      .map((fn) => `${fn.path}: ${fn.timeoutSeconds} s`);
    expect(tooSlow).toEqual([]);
  });

  it.each([
    ['the example prefix', () => app],
    ['the longest stack prefix', () => longestApp],
  ])('physical names the templates set are within AWS limits (%s)', (_label, deployed) => {
    const checked: string[] = [];
    const problems: string[] = [];
    for (const stack of deployed().stacks) {
      const name = stack.name;
      checked.push(`stack ${name}`);
      if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(name)) problems.push(`stack name ${name}`);
      for (const [logicalId, resource] of Object.entries(stack.resolvedTemplate!.Resources)) {
        const rule = NAME_RULES[resource.Type];
        const value: unknown = rule && resource.Properties?.[rule.property];
        if (!rule || value === undefined) continue;
        checked.push(`${resource.Type} ${String(value)}`);
        const problem = typeof value === 'string' ? rule.check(value, resource.Properties) : 'unresolved';
        if (problem) problems.push(`${name}/${logicalId} ${rule.property} "${String(value)}": ${problem}`);
      }
    }
    expect(problems).toEqual([]);
    // The names made from the stack prefix are among those checked.
    expect(checked).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AWS::Events::EventBus .*-link-events$/),
        expect.stringMatching(/^AWS::CloudWatch::Dashboard .*-operations$/),
      ]),
    );
  });

  it('every log group has a retention, and every function logs to a log group of its stack with one', () => {
    const problems: string[] = [];
    for (const stack of app.stacks) {
      const resources = stack.template.Resources;
      for (const [logicalId, resource] of Object.entries(resources)) {
        if (
          resource.Type === 'AWS::Logs::LogGroup' &&
          typeof resource.Properties?.RetentionInDays !== 'number'
        ) {
          problems.push(`${stack.name}/${logicalId}: log group without RetentionInDays`);
        }
        if (resource.Type !== 'AWS::Lambda::Function') continue;
        const ref: unknown = resource.Properties?.LoggingConfig?.LogGroup?.Ref;
        const group = typeof ref === 'string' ? resources[ref] : undefined;
        if (group?.Type !== 'AWS::Logs::LogGroup') {
          problems.push(`${stack.name}/${logicalId}: no LoggingConfig.LogGroup (logs would never expire)`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every stack output the project declares is exported as `<stack>-<Name>`', () => {
    let declared = 0;
    for (const stack of app.stacks) {
      for (const [outputId, output] of Object.entries<Json>(stack.template.Outputs ?? {})) {
        if (outputId.startsWith('ExportsOutput')) {
          // CDK's own cross-stack references (a value one stack passes to another): CDK names
          // them `<stack>:ExportsOutput…` and keeps them while a consumer exists.
          expect(output.Export.Name).toBe(`${stack.name}:${outputId}`);
          continue;
        }
        declared += 1;
        expect({ outputId, exportName: output.Export?.Name }).toEqual({
          outputId,
          exportName: `${stack.name}-${outputId}`,
        });
      }
    }
    expect(declared).toBeGreaterThanOrEqual(5);
  });
});

/** https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime */
const RESERVED = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

type NameCheck = (name: string, properties: Json) => string | undefined;

function length(min: number, max: number, pattern?: RegExp): NameCheck {
  return (name) => {
    if (name.length < min || name.length > max) return `${name.length} characters, allowed ${min}–${max}`;
    if (pattern && !pattern.test(name)) return `does not match ${String(pattern)}`;
    return undefined;
  };
}

/** The name property of each resource type that can set one, with the service's limit. */
const NAME_RULES: Record<string, { property: string; check: NameCheck }> = {
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
  'AWS::DynamoDB::Table': { property: 'TableName', check: length(3, 255, /^[A-Za-z0-9_.-]+$/) },
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  'AWS::SQS::Queue': {
    property: 'QueueName',
    check: (name, properties) =>
      length(1, 80, /^[A-Za-z0-9_-]+(\.fifo)?$/)(name, properties) ??
      (Boolean(properties.FifoQueue) !== name.endsWith('.fifo')
        ? 'a FIFO queue name ends in .fifo'
        : undefined),
  },
  // https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
  'AWS::Lambda::Function': { property: 'FunctionName', check: length(1, 64, /^[A-Za-z0-9_-]+$/) },
  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateEventBus.html
  'AWS::Events::EventBus': { property: 'Name', check: length(1, 256, /^[/.\-_A-Za-z0-9]+$/) },
  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
  'AWS::IAM::Role': { property: 'RoleName', check: length(1, 64, /^[\w+=,.@-]+$/) },
  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html
  'AWS::IAM::ManagedPolicy': { property: 'ManagedPolicyName', check: length(1, 128, /^[\w+=,.@-]+$/) },
  // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
  'AWS::Logs::LogGroup': { property: 'LogGroupName', check: length(1, 512, /^[.\-_/#A-Za-z0-9]+$/) },
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
  'AWS::S3::Bucket': { property: 'BucketName', check: length(3, 63, /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/) },
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
  'AWS::CloudWatch::Alarm': { property: 'AlarmName', check: length(1, 255) },
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html
  'AWS::CloudWatch::Dashboard': { property: 'DashboardName', check: length(1, 255, /^[A-Za-z0-9_-]+$/) },
  // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
  'AWS::SecretsManager::Secret': { property: 'Name', check: length(1, 512, /^[\w/+=.@-]+$/) },
  // https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
  'AWS::SNS::Topic': { property: 'TopicName', check: length(1, 256, /^[A-Za-z0-9_-]+(\.fifo)?$/) },
};
