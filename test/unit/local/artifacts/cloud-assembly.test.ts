import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import {
  readDeployedApp,
  stableNaming,
  taggedNaming,
} from '../../../../functions/local/artifacts/cloud-assembly.js';
import type { DeployedApp, DeployedFunction, Json } from '../../../../functions/local/artifacts/types.js';
import { TABLES, type TableKey } from '../../../../functions/manifest/table-definitions.js';
import { pascal } from '../../../../lib/stateful-stack.js';
import { synthApp, type SynthesizedApp } from '../../../infra/app-fixture.js';

const QUEUE_URL_BASE = 'http://127.0.0.1:4566';
const UNRESOLVED = /"(Ref|Fn::[A-Za-z]+)"|\$\{|\\u0000/;

describe('readDeployedApp on the synthesized app (ap-northeast-1, account 123456789012)', () => {
  let synth: SynthesizedApp;
  let app: DeployedApp;

  beforeAll(() => {
    // Template only: that every bundle exists and loads is first-deploy-traps.test.ts's (infra).
    synth = synthApp({ bundle: false, env: { account: '123456789012', region: 'ap-northeast-1' } });
    app = readDeployedApp(synth.outdir, taggedNaming('unit1'), { queueUrlBase: QUEUE_URL_BASE });
  }, 120_000);

  afterAll(() => {
    if (synth) rmSync(synth.outdir, { recursive: true, force: true });
  });

  const logicalId = (element: unknown) => synth.stateful.resolve((element as CfnElement).logicalId) as string;
  const tableOf = (key: TableKey) => {
    const id = logicalId(synth.stateful.tables[key].table.node.defaultChild);
    return app.tables.find((table) => table.logicalId === id)!;
  };
  const functionOf = (handler: string): DeployedFunction => {
    const fn = app.functions.find((f) => f.path.startsWith(`${synth.api.stackName}/${pascal(handler)}/`));
    if (!fn) throw new Error(`no function for ${handler}`);
    return fn;
  };
  const grants = (fn: DeployedFunction, action: string, resource: string) =>
    fn.policies.some(({ document }) =>
      (document.Statement as Json[]).some(
        (statement) =>
          statement.Effect === 'Allow' &&
          [statement.Action].flat().includes(action) &&
          [statement.Resource].flat().includes(resource),
      ),
    );

  test('the environment comes from manifest.json', () => {
    expect(app.environment).toEqual({ account: '123456789012', region: 'ap-northeast-1', partition: 'aws' });
    expect(app.stacks.map((s) => s.name)).toEqual([synth.stateful.stackName, synth.api.stackName]);
  });

  test("every route of the plan reaches its own function's bundle, with the route's authorization", () => {
    const expected = synth.plan.routes.map((route) => `${route.method} ${route.path}`);
    expect(app.httpApi.routes.map((r) => r.routeKey).sort()).toEqual([...expected, '$default'].sort());
    for (const route of synth.plan.routes) {
      const deployed = app.httpApi.routes.find((r) => r.routeKey === `${route.method} ${route.path}`)!;
      const fn = functionOf(route.handler);
      expect(deployed.functionLogicalId).toBe(fn.logicalId);
      expect(deployed.authorizationType).toBe(route.authorization === 'aws-iam' ? 'AWS_IAM' : 'NONE');
      expect(deployed.payloadFormatVersion).toBe('2.0');
      // The folder `cdk deploy` zips (the bundles themselves are checked in first-deploy-traps).
      expect(fn.assetDir).toBe(join(synth.outdir, fn.assetDir.slice(synth.outdir.length + 1)));
      expect(fn.assetDir.slice(synth.outdir.length + 1)).toMatch(/^asset\.[0-9a-f]{64}$/);
      expect(fn).toMatchObject({ handler: 'index.handler', runtime: 'nodejs22.x', architecture: 'arm64' });
    }
    expect(app.httpApi.routes.filter((r) => r.authorizationType === 'AWS_IAM').length).toBeGreaterThan(0);
    expect(app.httpApi.cors?.allowOrigins).toEqual(['https://liff.example.com']);
  });

  test("each route function's environment and policies name its tables and secrets by their local names", () => {
    for (const route of synth.plan.routes) {
      const fn = functionOf(route.handler);
      for (const { table: key, actions } of route.tables) {
        const table = tableOf(key);
        expect(table.name).toBe(`${synth.stateful.stackName}-${table.logicalId}-unit1`);
        expect(fn.environment[TABLES[key].envVar]).toBe(table.name);
        expect(table.arn).toBe(`arn:aws:dynamodb:ap-northeast-1:123456789012:table/${table.name}`);
        for (const action of actions) expect(grants(fn, `dynamodb:${action}`, table.arn)).toBe(true);
      }
      // The stack gives a route only the secrets the settings use (plan.secrets).
      for (const name of route.secrets.filter((secret) => synth.plan.secrets.includes(secret))) {
        const secretId = logicalId(synth.stateful.secrets[name].node.defaultChild);
        const secret = app.secrets.find((s) => s.logicalId === secretId)!;
        expect(secret.arn).toMatch(
          new RegExp(
            `^arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:${secret.name}-[A-Za-z0-9]{6}$`,
          ),
        );
        expect(fn.environment[`${name}_ARN`]).toBe(secret.arn);
        expect(grants(fn, 'secretsmanager:GetSecretValue', secret.arn)).toBe(true);
      }
    }
  });

  test('nothing unresolved is left in any environment or policy', () => {
    expect(app.functions.length).toBeGreaterThan(synth.plan.routes.length);
    for (const fn of app.functions) {
      expect(JSON.stringify(fn.environment)).not.toMatch(UNRESOLVED);
      expect(JSON.stringify(fn.policies)).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"|\\u0000/);
      for (const value of Object.values(fn.environment)) expect(typeof value).toBe('string');
    }
    for (const stack of app.stacks) {
      expect(JSON.stringify(stack.resolvedTemplate)).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"|\\u0000/);
    }
  });

  test('the stream reaches the link events publisher from the links table, the queue the job worker', () => {
    const stream = app.eventSources.find((s) => s.source.kind === 'dynamodb-stream')!;
    expect(stream.source).toEqual({ kind: 'dynamodb-stream', tableLogicalId: tableOf('links').logicalId });
    expect(app.functions.find((f) => f.logicalId === stream.functionLogicalId)!.path).toMatch(
      /\/LinkEvents\/Publisher\//,
    );
    expect(stream).toMatchObject({
      batchSize: 100,
      reportBatchItemFailures: true,
      startingPosition: 'TRIM_HORIZON',
      maximumRetryAttempts: 10,
      bisectBatchOnFunctionError: true,
    });
    // The on-failure destination is a queue of the assembly, served by the local SQS.
    expect(app.queues.find((q) => q.arn === stream.onFailureDestinationArn)?.logicalId).toMatch(
      /^LinkEventsStreamFailures/,
    );

    const sqs = app.eventSources.find((s) => s.source.kind === 'sqs')!;
    const queue = app.queues.find(
      (q) => sqs.source.kind === 'sqs' && q.logicalId === sqs.source.queueLogicalId,
    )!;
    // The queue the send function puts batches on is the one the worker drains.
    expect(functionOf('admin-messages-post').environment.MESSAGE_QUEUE_URL).toBe(queue.url);
    expect(queue.url).toBe(`${QUEUE_URL_BASE}/123456789012/${queue.name}`);
    expect(app.functions.find((f) => f.logicalId === sqs.functionLogicalId)!.path).toMatch(
      /\/MessageJobs\/Worker\//,
    );
    expect(sqs.reportBatchItemFailures).toBe(true);
    // The template's visibility timeout and redrive to the dead-letter queue.
    expect(queue.visibilityTimeoutSeconds).toBe(1800);
    expect(queue.redrive).toEqual({
      deadLetterTargetArn: app.queues.find((q) => /^MessageJobsDeadLetters/.test(q.logicalId))!.arn,
      maxReceiveCount: 5,
    });
  });

  test("tables keep the shared definitions' keys, indexes, TTL and stream", () => {
    expect(app.tables).toHaveLength(Object.keys(TABLES).length);
    for (const key of Object.keys(TABLES) as TableKey[]) {
      const def = TABLES[key] as (typeof TABLES)[TableKey] & {
        sortKey?: string;
        ttlAttribute?: string;
        stream?: string;
        indexes?: ReadonlyArray<{ name: string; partitionKey: string; sortKey?: string }>;
      };
      const { createTableInput, ttlAttribute, streamViewType, name } = tableOf(key);
      expect(createTableInput.TableName).toBe(name);
      expect(createTableInput.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        ...(def.sortKey ? [{ AttributeName: def.sortKey, KeyType: 'RANGE' }] : []),
      ]);
      expect(createTableInput.BillingMode).toBe('PAY_PER_REQUEST');
      expect(createTableInput.ProvisionedThroughput).toBeUndefined();
      expect((createTableInput.GlobalSecondaryIndexes ?? []).map((i: Json) => i.IndexName)).toEqual(
        (def.indexes ?? []).map((i) => i.name),
      );
      expect(ttlAttribute).toBe(def.ttlAttribute);
      expect(streamViewType).toBe(def.stream ? 'NEW_AND_OLD_IMAGES' : undefined);
      expect(createTableInput.StreamSpecification).toEqual(
        def.stream ? { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } : undefined,
      );
    }
  });

  test('the event bus keeps its explicit name; a function without an asset is marked inline', () => {
    expect(app.buses.map((b) => b.name)).toContain('LineIdLink-link-events');
    const inline = app.functions.filter((f) => f.inlineCode !== undefined);
    for (const fn of inline) expect(fn.assetDir).toBe('');
    for (const fn of app.functions.filter((f) => f.inlineCode === undefined)) {
      expect(fn.assetDir).toMatch(/\/asset\.[0-9a-f]{64}$/);
    }
  });
});

describe('readDeployedApp: intrinsics CloudFormation resolves, on a hand-written assembly', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), 'cloud-assembly-'));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  function writeAssembly(stacks: Record<string, { template: Json; dependencies?: string[] }>) {
    const artifacts: Record<string, Json> = {};
    for (const [name, { template, dependencies }] of Object.entries(stacks)) {
      writeFileSync(join(outdir, `${name}.template.json`), JSON.stringify(template));
      artifacts[name] = {
        type: 'aws:cloudformation:stack',
        environment: 'aws://unknown-account/unknown-region',
        properties: { templateFile: `${name}.template.json` },
        dependencies: dependencies ?? [],
      };
    }
    writeFileSync(join(outdir, 'manifest.json'), JSON.stringify({ version: '55.0.0', artifacts }));
  }

  const fn = (variables: Json, extra: Json = {}) => ({
    Type: 'AWS::Lambda::Function',
    Properties: {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Code: { S3Bucket: 'b', S3Key: 'abc123.zip' },
      Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
      Environment: { Variables: variables },
      ...extra,
    },
  });

  test('Sub, Join, Select, Split, If, NoValue, imports and pseudo parameters, defaults of an unresolved environment', () => {
    writeAssembly({
      Data: {
        template: {
          Resources: {
            Queue: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
            Named: {
              Type: 'AWS::SQS::Queue',
              Properties: { QueueName: { 'Fn::Sub': '${AWS::StackName}-jobs' } },
            },
          },
          Outputs: {
            QueueArn: {
              Value: { 'Fn::GetAtt': ['Queue', 'Arn'] },
              Export: { Name: { 'Fn::Sub': '${AWS::StackName}-QueueArn' } },
            },
          },
        },
      },
      App: {
        dependencies: ['Data'],
        template: {
          Parameters: { Stage: { Type: 'String', Default: 'prod' } },
          Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } },
          Resources: {
            Role: {
              Type: 'AWS::IAM::Role',
              Properties: { ManagedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] },
            },
            Thing: { Type: 'Custom::Thing', Properties: {} },
            Fn: fn(
              {
                SUB: { 'Fn::Sub': '${AWS::Region}:${AWS::AccountId}:${Fn.Arn}:${!Literal}' },
                SUB_MAP: { 'Fn::Sub': ['${X}/${AWS::URLSuffix}', { X: { Ref: 'Role' } }] },
                SELECT: { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] },
                JOIN: { 'Fn::Join': ['-', [{ Ref: 'AWS::Partition' }, { Ref: 'Stage' }]] },
                IF: { 'Fn::If': ['IsProd', 'yes', 'no'] },
                GONE: { 'Fn::If': ['IsProd', { Ref: 'AWS::NoValue' }, 'kept'] },
                IMPORTED: { 'Fn::ImportValue': 'Data-QueueArn' },
                CUSTOM: { 'Fn::GetAtt': ['Thing', 'Endpoint'] },
                CUSTOM_STRING_FORM: { 'Fn::GetAtt': 'Thing.Endpoint' },
              },
              { FunctionName: 'explicit-fn', Timeout: 10 },
            ),
            Policy: {
              Type: 'AWS::IAM::Policy',
              Properties: {
                PolicyName: 'p',
                Roles: [{ Ref: 'Role' }],
                PolicyDocument: {
                  Statement: [
                    {
                      Effect: 'Allow',
                      Action: 'sqs:SendMessage',
                      Resource: { 'Fn::ImportValue': 'Data-QueueArn' },
                      Condition: {
                        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                        ArnLike: { 'aws:SourceArn': [{ 'Fn::GetAtt': ['Fn', 'Arn'] }] },
                      },
                    },
                  ],
                },
              },
            },
          },
        },
      },
    });
    const app = readDeployedApp(outdir, stableNaming('local'));
    expect(app.environment).toEqual({ account: '000000000000', region: 'us-east-1', partition: 'aws' });
    const [deployed] = app.functions;
    const queueName = 'local-Data-Queue.fifo';
    const queueArn = `arn:aws:sqs:us-east-1:000000000000:${queueName}`;
    expect(app.queues.map((q) => q.name)).toEqual([queueName, 'Data-jobs']);
    expect(app.queues[0]!.url).toBe(`https://sqs.us-east-1.amazonaws.com/000000000000/${queueName}`);
    expect(deployed!.environment).toEqual({
      SUB: 'us-east-1:000000000000:arn:aws:lambda:us-east-1:000000000000:function:explicit-fn:${Literal}',
      SUB_MAP: 'local-App-Role/amazonaws.com',
      SELECT: 'b',
      JOIN: 'aws-prod',
      IF: 'yes',
      IMPORTED: queueArn,
      CUSTOM: 'local-App-Thing.Endpoint',
      CUSTOM_STRING_FORM: 'local-App-Thing.Endpoint',
    });
    expect(deployed).toMatchObject({
      name: 'explicit-fn',
      timeoutSeconds: 10,
      memorySize: 128,
      architecture: 'x86_64',
      assetDir: join(outdir, 'asset.abc123'),
      roleLogicalId: 'Role',
    });
    expect(deployed!.policies).toEqual([
      {
        name: 'p',
        document: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Resource: queueArn,
              Condition: {
                StringEquals: { 'aws:SourceAccount': '000000000000' },
                ArnLike: { 'aws:SourceArn': ['arn:aws:lambda:us-east-1:000000000000:function:explicit-fn'] },
              },
            },
          ],
        },
      },
      {
        name: 'arn:aws:iam::aws:policy/ReadOnlyAccess (AWS managed: its document is not in the templates)',
        document: { Version: '2012-10-17', Statement: [] },
      },
    ]);
  });

  test('an import no stack exports is an error, not a silent string', () => {
    writeAssembly({
      App: {
        template: {
          Resources: {
            Role: { Type: 'AWS::IAM::Role', Properties: {} },
            Fn: fn({ X: { 'Fn::ImportValue': 'Nobody-Exports-This' } }),
          },
        },
      },
    });
    expect(() => readDeployedApp(outdir, stableNaming())).toThrow(/Nobody-Exports-This/);
  });
});

describe('local naming', () => {
  const long = 'L'.repeat(120);

  test('stable names are the same each time; tagged ones end with the tag', () => {
    expect(stableNaming().physicalName('S', 'Table1', 'AWS::DynamoDB::Table')).toBe('S-Table1');
    expect(stableNaming('dev').physicalName('S', 'Table1', 'AWS::DynamoDB::Table')).toBe('dev-S-Table1');
    expect(taggedNaming('t9').physicalName('S', 'Table1', 'AWS::DynamoDB::Table')).toBe('S-Table1-t9');
  });

  test.each([
    ['AWS::DynamoDB::Table', 255, /^[a-zA-Z0-9_.-]{3,255}$/],
    ['AWS::SQS::Queue', 80, /^[a-zA-Z0-9_-]{1,80}$/],
    ['AWS::S3::Bucket', 63, /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/],
    ['AWS::Lambda::Function', 64, /^[a-zA-Z0-9_-]{1,64}$/],
    ['AWS::IAM::Role', 64, /^[\w+=,.@-]{1,64}$/],
    ['AWS::SecretsManager::Secret', 512, /^[a-zA-Z0-9/_+=.@-]{1,512}$/],
  ])('%s names fit the service (≤ %d), keep the tag and stay distinct', (type, max, pattern) => {
    const naming = taggedNaming('Suite_42');
    const a = naming.physicalName(`Stack${long}`, `A${long}${long}`, type);
    const b = naming.physicalName(`Stack${long}`, `B${long}${long}`, type);
    for (const name of [a, b]) {
      expect(name.length).toBeLessThanOrEqual(max);
      expect(name).toMatch(pattern);
      expect(
        name.toLowerCase().endsWith('-suite_42'.replace('_', type === 'AWS::S3::Bucket' ? '-' : '_')),
      ).toBe(true);
    }
    expect(a).not.toBe(b);
  });
});
