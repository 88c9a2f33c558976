import { rmSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { TABLES, type TableKey } from '../../functions/manifest/table-definitions.js';
import { CORS_POLICY } from '../../functions/manifest/cors-policy.js';
import { ROUTES, type RouteDefinition } from '../../functions/manifest/routes.js';
import { AUDIENCE_WORKER } from '../../functions/manifest/functions.js';
import { BUSINESS_METRICS } from '../../lib/constructs/operations.js';
import { SECRET_SPECS, SETTINGS_GROUPS, type SecretName } from '../../lib/settings.js';
import {
  ALL_PATTERNS_CONTEXT,
  findCycle,
  resourcesOf,
  synthApp,
  type Json,
  type SynthesizedApp,
} from './app-fixture.js';

/** Template assertions on a deployment with every pattern on (bundling skipped: see nag.test.ts). */
let synth: SynthesizedApp;
beforeAll(() => {
  synth = synthApp({ bundle: false });
});
afterAll(() => rmSync(synth.outdir, { recursive: true, force: true }));

const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>) => `${route.method} ${route.path}`;

/** The function deployed for a route key (functions are described `line-id-link <route key>`). */
function functionFor(key: string): { id: string; props: Json } {
  const found = Object.entries(resourcesOf(synth.apiTemplate, 'AWS::Lambda::Function')).filter(
    ([, r]) => r.Properties?.Description === `line-id-link ${key}`,
  );
  expect(found).toHaveLength(1);
  return { id: found[0]![0], props: found[0]![1].Properties! };
}

/** The statements of a function's role policies. */
function statementsOf(functionId: string): Array<{ Action: string | string[]; Resource: unknown }> {
  const fn = resourcesOf(synth.apiTemplate, 'AWS::Lambda::Function')[functionId]!;
  const roleId = fn.Properties!.Role['Fn::GetAtt'][0];
  return Object.values(resourcesOf(synth.apiTemplate, 'AWS::IAM::Policy'))
    .filter((p) => p.Properties!.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap((p) => p.Properties!.PolicyDocument.Statement);
}

const actionsOf = (s: { Action: string | string[] }) => [s.Action].flat();
const tableLogicalId = (key: TableKey) =>
  synth.stateful.getLogicalId(synth.stateful.tables[key].table.node.defaultChild as never);
const secretLogicalId = (name: SecretName) =>
  synth.stateful.getLogicalId(synth.stateful.secrets[name].node.defaultChild as never);

/** The service's own functions (not CDK's deploy-time custom resource handlers). */
const serviceFunctions = () =>
  Object.entries(resourcesOf(synth.apiTemplate, 'AWS::Lambda::Function')).filter(([, f]) =>
    String(f.Properties!.Description).startsWith('line-id-link'),
  );
/**
 * The DynamoDB actions each function needs, per table: what its adapters send (GetItem,
 * TransactWriteItems items by kind, conditional DeleteItem, UpdateItem ADD, Query).
 */
const EXPECTED_TABLE_ACTIONS: Record<string, Partial<Record<TableKey, string[]>>> = {
  'GET /health': {},
  'POST /links': {
    links: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    audit: ['dynamodb:PutItem'],
    messaging: ['dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    sessions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
  },
  'POST /links/by-record': {
    links: ['dynamodb:PutItem'],
    audit: ['dynamodb:PutItem'],
    messaging: ['dynamodb:ConditionCheckItem', 'dynamodb:GetItem'],
    members: ['dynamodb:GetItem'],
    attempts: ['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'],
  },
  'POST /links/by-api': {
    links: ['dynamodb:PutItem'],
    audit: ['dynamodb:PutItem'],
    messaging: ['dynamodb:ConditionCheckItem', 'dynamodb:GetItem'],
    attempts: ['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'],
  },
  'GET /links/me': { links: ['dynamodb:GetItem'] },
  'GET /links/me/history': { audit: ['dynamodb:Query'] },
  'DELETE /links/me': { links: ['dynamodb:GetItem', 'dynamodb:DeleteItem'], audit: ['dynamodb:PutItem'] },
  'GET /auth/line/login': { sessions: ['dynamodb:PutItem'] },
  'GET /auth/line/callback': {
    sessions: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
    messaging: ['dynamodb:UpdateItem'],
    links: ['dynamodb:UpdateItem'],
  },
  'POST /auth/company/start': { sessions: ['dynamodb:PutItem'] },
  'GET /auth/company/callback': {
    sessions: ['dynamodb:DeleteItem'],
    links: ['dynamodb:PutItem'],
    audit: ['dynamodb:PutItem'],
    messaging: ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem'],
  },
  'POST /webhook/line': {
    messaging: [
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:UpdateItem',
      'dynamodb:GetItem',
      'dynamodb:ConditionCheckItem',
    ],
    links: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
    ],
    audit: ['dynamodb:PutItem'],
  },
  'GET /account-link/start': { sessions: ['dynamodb:PutItem'], messaging: ['dynamodb:GetItem'] },
  'GET /admin/links/company/{companyUserId}': { links: ['dynamodb:GetItem'], audit: ['dynamodb:PutItem'] },
  'GET /admin/links/line/{lineUserId}': { links: ['dynamodb:GetItem'], audit: ['dynamodb:PutItem'] },
  'POST /admin/links/company/{companyUserId}/unlink': {
    links: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
    audit: ['dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:DeleteItem'],
    members: ['dynamodb:Scan', 'dynamodb:DeleteItem'],
    attempts: ['dynamodb:Scan', 'dynamodb:DeleteItem'],
    sessions: ['dynamodb:Scan', 'dynamodb:DeleteItem'],
    messaging: ['dynamodb:Scan', 'dynamodb:DeleteItem'],
    jobs: ['dynamodb:Scan', 'dynamodb:UpdateItem'],
  },
  'POST /admin/members/{memberId}/unlock': { attempts: ['dynamodb:DeleteItem'], audit: ['dynamodb:PutItem'] },
  'POST /admin/messages': {
    links: ['dynamodb:BatchGetItem'],
    jobs: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem'],
    audit: ['dynamodb:PutItem'],
  },
  'GET /admin/messages/jobs/{jobId}': { jobs: ['dynamodb:GetItem', 'dynamodb:Query'] },
  'POST /links/nonce': { sessions: ['dynamodb:PutItem'] },
  'POST /admin/audiences': {
    jobs: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem'],
    audit: ['dynamodb:PutItem'],
  },
  'GET /admin/audiences/jobs/{jobId}': { jobs: ['dynamodb:GetItem', 'dynamodb:Query'] },
};

/**
 * Routes, `$default`, the member importer, the message job worker, the webhook worker, the link
 * events publisher and the audience job worker.
 */
const FUNCTION_COUNT = ROUTES.length + 6;

describe('stateful stack', () => {
  it.each(Object.keys(TABLES) as TableKey[])(
    '%s table: on-demand, PITR, deletion protection, retained, encrypted, keys and TTL',
    (key) => {
      const table = resourcesOf(synth.statefulTemplate, 'AWS::DynamoDB::Table')[tableLogicalId(key)]!;
      const definition = TABLES[key] as (typeof TABLES)[TableKey] & {
        ttlAttribute?: string;
        sortKey?: string;
      };
      expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        // Short-lived items (sessions, attempt counters): no point-in-time recovery by default.
        PointInTimeRecoverySpecification: {
          PointInTimeRecoveryEnabled: key !== 'sessions' && key !== 'attempts',
        },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      });
      expect(table.Properties!.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        ...(definition.sortKey ? [{ AttributeName: definition.sortKey, KeyType: 'RANGE' }] : []),
      ]);
      if (definition.ttlAttribute) {
        expect(table.Properties!.TimeToLiveSpecification).toEqual({
          AttributeName: definition.ttlAttribute,
          Enabled: true,
        });
      } else {
        expect(table.Properties!.TimeToLiveSpecification).toBeUndefined();
      }
    },
  );

  it('gives sessions, attempts and audit their TTL attribute', () => {
    for (const key of ['sessions', 'attempts', 'audit'] as const) {
      const table = resourcesOf(synth.statefulTemplate, 'AWS::DynamoDB::Table')[tableLogicalId(key)]!;
      expect(table.Properties!.TimeToLiveSpecification).toEqual({
        AttributeName: 'expiresAt',
        Enabled: true,
      });
    }
  });

  it('creates every secret with a generated value, never a value in the template, and retains it', () => {
    const secrets = resourcesOf(synth.statefulTemplate, 'AWS::SecretsManager::Secret');
    expect(Object.keys(secrets)).toHaveLength(Object.keys(SECRET_SPECS).length);
    for (const secret of Object.values(secrets)) {
      expect(secret).toMatchObject({ DeletionPolicy: 'Retain' });
      expect(secret.Properties!.GenerateSecretString).toBeDefined();
      expect(secret.Properties!.SecretString).toBeUndefined();
    }
  });

  it('outputs table names and secret ARNs', () => {
    const outputs = Object.keys(synth.statefulTemplate.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'LinksTableName',
        'SessionsTableName',
        'LineChannelSecretArn',
        'MemberHashPepperArn',
      ]),
    );
  });
});

describe('API stack', () => {
  it('has one route per manifest entry, each on its own function, plus $default', () => {
    const routes = Object.values(resourcesOf(synth.apiTemplate, 'AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties!.RouteKey,
    );
    expect(routes.sort()).toEqual(['$default', ...ROUTES.map(routeKey)].sort());
    const integrations = resourcesOf(synth.apiTemplate, 'AWS::ApiGatewayV2::Integration');
    for (const route of Object.values(resourcesOf(synth.apiTemplate, 'AWS::ApiGatewayV2::Route'))) {
      const integrationId = route.Properties!.Target['Fn::Join'][1][1].Ref;
      const functionId = integrations[integrationId]!.Properties!.IntegrationUri['Fn::GetAtt'][0];
      const key = route.Properties!.RouteKey;
      expect(functionFor(key).id).toBe(functionId);
      expect(integrations[integrationId]!.Properties!.PayloadFormatVersion).toBe('2.0');
    }
  });

  it('runs every function on Node.js 22, arm64, with its own log group, memory and timeout', () => {
    const functions = serviceFunctions().map(([, f]) => f);
    expect(functions.length).toBe(FUNCTION_COUNT);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
      expect(fn.Properties!.MemorySize).toBeGreaterThanOrEqual(256);
      // API functions answer within API Gateway's 30 s integration timeout.
      // (Not the S3 import nor the queue workers: queue-driven, with their own timeouts.)
      if (
        ![
          'line-id-link S3 member import',
          'line-id-link message job worker',
          'line-id-link webhook worker (replies, link tokens)',
          'line-id-link audience job worker',
        ].includes(fn.Properties!.Description)
      )
        expect(fn.Properties!.Timeout).toBeLessThanOrEqual(29);
    }
    for (const group of Object.values(resourcesOf(synth.apiTemplate, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties!.RetentionInDays).toBe(30);
    }
  });

  it('attaches no managed policy to any role of the service', () => {
    const roles = resourcesOf(synth.apiTemplate, 'AWS::IAM::Role');
    for (const [, fn] of serviceFunctions()) {
      expect(roles[fn.Properties!.Role['Fn::GetAtt'][0]]!.Properties!.ManagedPolicyArns).toBeUndefined();
    }
  });

  it.each(ROUTES.map((route) => [routeKey(route), route] as const))(
    '%s: environment is its settings, tables and secrets',
    (key, route) => {
      const env: Record<string, unknown> = functionFor(key).props.Environment.Variables;
      expect(env).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'line-id-link',
        POWERTOOLS_METRICS_NAMESPACE: 'LineIdLink',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        CORS_ALLOWED_ORIGINS: ALL_PATTERNS_CONTEXT.corsAllowedOrigins,
      });
      expect(env.AWS_NODEJS_CONNECTION_REUSE_ENABLED).toBeUndefined();
      // Table variables: exactly the listed tables.
      const tableVars = Object.values(TABLES)
        .map((t) => t.envVar)
        .filter((v) => v in env);
      expect(tableVars.sort()).toEqual([...new Set(route.tables.map((t) => TABLES[t.table].envVar))].sort());
      // Secret ARNs: the listed secrets this deployment uses (oauth: not the API key); never a value.
      // The secrets this deployment uses: oauth, not the API key; client secret, not a private key.
      const unused = ['COMPANY_API_KEY', 'COMPANY_OIDC_PRIVATE_KEY'];
      const expectedSecrets = route.secrets.filter((s) => !unused.includes(s)).map((s) => `${s}_ARN`);
      expect(
        Object.keys(env)
          .filter((k) => k.endsWith('_ARN'))
          .sort(),
      ).toEqual(expectedSecrets.sort());
      for (const secret of Object.keys(SECRET_SPECS)) expect(env[secret]).toBeUndefined();
      // Setting variables: exactly those of the route's groups.
      const settingVars = Object.values(SETTINGS_GROUPS)
        .flatMap((g) => g.variables)
        .filter((v) => v in env);
      const expectedVars = route.settings
        .flatMap((g) => SETTINGS_GROUPS[g].variables)
        .filter((v) => synth.settings.values[v] !== undefined || v === 'PUBLIC_BASE_URL');
      // (A variable may belong to several groups, e.g. PUBLIC_BASE_URL.)
      expect([...new Set(settingVars)].sort()).toEqual([...new Set(expectedVars)].sort());
      if (route.settings.includes('line')) expect(env.LINE_CHANNEL_ID).toBe('1234567890');
      if (route.settings.includes('web')) {
        // PUBLIC_BASE_URL defaults to the API's own endpoint.
        expect(env.PUBLIC_BASE_URL).toEqual({ 'Fn::GetAtt': [expect.any(String), 'ApiEndpoint'] });
      }
    },
  );

  it.each(ROUTES.map((route) => [routeKey(route), route] as const))(
    '%s: IAM grants exactly its tables and secrets',
    (key, route) => {
      const statements = statementsOf(functionFor(key).id);
      const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toHaveLength(route.tables.length);
      for (const { table } of route.tables) {
        const statement = dynamo.find((s) => JSON.stringify(s.Resource).includes(tableLogicalId(table)))!;
        expect(statement).toBeDefined();
        // Exactly the actions this function's adapters send, written out here (not derived from
        // the manifest) so widening a grant fails this test.
        expect([...actionsOf(statement)].sort()).toEqual([...EXPECTED_TABLE_ACTIONS[key]![table]!].sort());
        // Scoped to this table (an ARN imported from the stateful stack), nothing else.
        for (const resource of [statement.Resource].flat()) {
          expect(JSON.stringify(resource)).toContain(tableLogicalId(table));
          expect(JSON.stringify(resource)).not.toContain('*');
        }
      }
      const secrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
      const expected = route.secrets.filter(
        (s) => s !== 'COMPANY_API_KEY' && s !== 'COMPANY_OIDC_PRIVATE_KEY',
      );
      expect(secrets).toHaveLength(expected.length);
      for (const statement of secrets) {
        expect(actionsOf(statement)).toEqual(['secretsmanager:GetSecretValue']);
        expect(
          expected.some((name) => JSON.stringify(statement.Resource).includes(secretLogicalId(name))),
        ).toBe(true);
      }
    },
  );

  it('grants exactly the expected tables per function, and no other', () => {
    for (const route of ROUTES) {
      expect(Object.keys(EXPECTED_TABLE_ACTIONS[routeKey(route)] ?? {}).sort()).toEqual(
        route.tables.map((t) => t.table).sort(),
      );
    }
  });

  it('keeps the audit table append-only for request functions, and no scan of links anywhere', () => {
    const fallback = statementsOf(functionFor('$default').id);
    expect(fallback.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))).toEqual([]);
    for (const route of ROUTES) {
      for (const statement of statementsOf(functionFor(routeKey(route)).id)) {
        const resource = JSON.stringify(statement.Resource);
        const actions = actionsOf(statement);
        // The one exception: an erasure request rewrites the member's events with pseudonyms.
        const erasure = routeKey(route) === 'POST /admin/links/company/{companyUserId}/unlink';
        if (resource.includes(tableLogicalId('audit'))) {
          expect(actions).not.toContain('dynamodb:UpdateItem');
          if (!erasure) expect(actions).not.toContain('dynamodb:DeleteItem');
          expect(actions).not.toContain('dynamodb:BatchWriteItem');
        }
        if (resource.includes(tableLogicalId('links'))) {
          expect(actions).not.toContain('dynamodb:Scan');
          // Only the company's message sends read links in bulk (by key).
          if (route.authorization !== 'aws-iam') expect(actions).not.toContain('dynamodb:BatchGetItem');
        }
      }
    }
  });

  it('has no wildcard action and no wildcard resource on data in any policy', () => {
    for (const template of [synth.apiTemplate, synth.statefulTemplate]) {
      for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
        for (const statement of policy.Properties!.PolicyDocument.Statement) {
          for (const action of actionsOf(statement)) expect(action).not.toContain('*');
          // dynamodb:ListStreams (the stream event source) exists only on `*` in IAM.
          if (
            actionsOf(statement).some(
              (a) => /^(dynamodb|secretsmanager):/.test(a) && a !== 'dynamodb:ListStreams',
            )
          ) {
            expect(JSON.stringify(statement.Resource)).not.toContain('*');
          }
        }
      }
    }
  });

  it('logs access without paths, query strings or headers', () => {
    const stage = Object.values(resourcesOf(synth.apiTemplate, 'AWS::ApiGatewayV2::Stage'))[0]!;
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    const format = stage.Properties!.AccessLogSettings.Format as string;
    const fields = Object.values(JSON.parse(format) as Record<string, string>);
    expect(fields).toEqual(
      expect.arrayContaining([
        '$context.requestId',
        '$context.identity.sourceIp',
        '$context.httpMethod',
        '$context.routeKey',
        '$context.status',
        '$context.responseLatency',
      ]),
    );
    expect(format).not.toMatch(/path|query|uri|header|userAgent|authorizer|cookie/i);
  });

  it('configures CORS from the one policy and the origins setting', () => {
    synth.apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://liff.example.com'],
        AllowMethods: [...CORS_POLICY.allowMethods],
        AllowHeaders: [...CORS_POLICY.allowHeaders],
        ExposeHeaders: [...CORS_POLICY.exposeHeaders],
        AllowCredentials: true,
        MaxAge: CORS_POLICY.maxAgeSeconds,
      },
    });
  });

  it('alarms on 5xx rate, function errors and throttles, DynamoDB throttles; graphs business metrics', () => {
    const alarms = Object.values(resourcesOf(synth.apiTemplate, 'AWS::CloudWatch::Alarm'));
    const byMetric = (name: string) =>
      alarms.filter(
        (a) =>
          a.Properties!.MetricName === name ||
          JSON.stringify(a.Properties!.Metrics ?? []).includes(`"${name}"`),
      );
    expect(byMetric('5xx')).toHaveLength(1);
    expect(byMetric('Errors')).toHaveLength(FUNCTION_COUNT);
    expect(byMetric('Throttles')).toHaveLength(FUNCTION_COUNT);
    expect(byMetric('WriteThrottleEvents')).toHaveLength(Object.keys(TABLES).length);
    // One per dead-letter queue: imports, webhook work, message batches, audience jobs, link events.
    expect(byMetric('ApproximateNumberOfMessagesVisible')).toHaveLength(5);
    const dashboard = JSON.stringify(
      Object.values(resourcesOf(synth.apiTemplate, 'AWS::CloudWatch::Dashboard'))[0],
    );
    for (const metric of Object.keys(BUSINESS_METRICS))
      expect(dashboard).toContain(`MetricName=\\\\\\"${metric}\\\\\\"`);
    expect(dashboard).toContain('Namespace=\\\\\\"LineIdLink\\\\\\"');
  });

  it('traces every function with X-Ray (active tracing, Powertools Tracer on)', () => {
    const functions = serviceFunctions();
    expect(functions).toHaveLength(FUNCTION_COUNT);
    for (const [id, fn] of functions) {
      expect(fn.Properties!.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties!.Environment.Variables.POWERTOOLS_TRACE_ENABLED).toBe('true');
      const xray = statementsOf(id).filter((s) => actionsOf(s).some((a) => a.startsWith('xray:')));
      expect(xray.flatMap(actionsOf).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('alarms on spikes of rejected tokens, lockouts and webhook signature failures', () => {
    const alarms = Object.values(resourcesOf(synth.apiTemplate, 'AWS::CloudWatch::Alarm'));
    for (const [metricName, threshold] of [
      ['RejectedTokens', 50],
      ['Lockouts', 10],
      ['WebhookSignatureRejected', 10],
    ] as const) {
      const found = alarms.filter((a) => a.Properties!.MetricName === metricName);
      expect(found).toHaveLength(1);
      expect(found[0]!.Properties).toMatchObject({
        Namespace: 'LineIdLink',
        Dimensions: [{ Name: 'service', Value: 'line-id-link' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('passes AUDIT_RETENTION_DAYS only to the functions that append to the audit trail, when set', () => {
    expect(
      serviceFunctions().filter(([, f]) => 'AUDIT_RETENTION_DAYS' in f.Properties!.Environment.Variables),
    ).toEqual([]);
  });

  it('names every output stably: the key the docs use, exported as <stack>-<key>', () => {
    for (const template of [synth.apiTemplate, synth.statefulTemplate]) {
      for (const [key, output] of Object.entries(template.findOutputs('*'))) {
        if (JSON.stringify(output.Export?.Name ?? '').includes(':ExportsOutput')) continue; // cross-stack refs
        expect([key, output.Export?.Name]).toEqual([
          key,
          expect.stringMatching(new RegExp(`^LineIdLink-(Api|Stateful)-${key}$`)),
        ]);
        expect(key).toMatch(/^[A-Z][A-Za-z]+$/); // no hash
      }
    }
  });

  it('outputs the API URL and the callback URLs to register', () => {
    const outputs = synth.apiTemplate.findOutputs('*');
    expect(outputs.ApiUrl!.Value).toEqual({ 'Fn::GetAtt': [expect.any(String), 'ApiEndpoint'] });
    expect(JSON.stringify(outputs.LineCallbackUrl!.Value)).toContain('/auth/line/callback');
    expect(JSON.stringify(outputs.CompanyCallbackUrl!.Value)).toContain('/auth/company/callback');
  });

  it('has no dependency cycle (functions read the API endpoint, routes point at functions)', () => {
    expect(findCycle(synth.apiTemplate)).toBeUndefined();
  });
});

describe('S3 member import', () => {
  const importer = () => functionFor('S3 member import');

  it('has a private, encrypted, TLS-only, versioned bucket that forgets uploads', () => {
    const buckets = Object.values(resourcesOf(synth.apiTemplate, 'AWS::S3::Bucket'));
    const bucket = buckets.find((b) => b.Properties!.VersioningConfiguration)!;
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: expect.any(Object),
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 7 })] },
    });
    for (const policy of Object.values(resourcesOf(synth.apiTemplate, 'AWS::S3::BucketPolicy'))) {
      expect(policy.Properties!.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });

  it('triggers the importer on *.csv created under incoming/', () => {
    synth.apiTemplate.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: Match.arrayWith([
                  { Name: 'suffix', Value: '.csv' },
                  { Name: 'prefix', Value: 'incoming/' },
                ]),
              },
            },
            LambdaFunctionArn: { 'Fn::GetAtt': [importer().id, 'Arn'] },
          },
        ],
      },
    });
  });

  it('gives the importer the members table, the pepper, the factors and reading uploads, nothing more', () => {
    const env: Record<string, unknown> = importer().props.Environment.Variables;
    expect(Object.keys(env).sort()).toEqual(
      [
        'CORS_ALLOWED_ORIGINS',
        'IMPORT_BUCKET',
        'MEMBERS_TABLE',
        'MEMBER_FACTORS',
        'MEMBER_HASH_PEPPER_ARN',
        'NODE_OPTIONS',
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
        'POWERTOOLS_TRACE_ENABLED',
      ].sort(),
    );
    expect(importer().props).toMatchObject({
      Timeout: 900,
      DeadLetterConfig: { TargetArn: expect.any(Object) },
    });
    const statements = statementsOf(importer().id);
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(1);
    expect(JSON.stringify(dynamo[0]!.Resource)).toContain(tableLogicalId('members'));
    expect([...actionsOf(dynamo[0]!)].sort()).toEqual(
      ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan'].sort(),
    );
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3).toHaveLength(1);
    expect(actionsOf(s3[0]!)).toEqual(['s3:GetObject']);
    expect(JSON.stringify(s3[0]!.Resource)).toContain('/incoming/*');
    const secrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets).toHaveLength(1);
    expect(JSON.stringify(secrets[0]!.Resource)).toContain(secretLogicalId('MEMBER_HASH_PEPPER'));
  });

  it('outputs the bucket name', () => {
    expect(synth.apiTemplate.findOutputs('ImportBucketName').ImportBucketName).toBeDefined();
  });
});

describe('company IdP client with private_key_jwt and max_age', () => {
  let pkjwt: SynthesizedApp;
  beforeAll(() => {
    pkjwt = synthApp({
      bundle: false,
      context: {
        ...ALL_PATTERNS_CONTEXT,
        companyOidcTokenAuthMethod: 'private_key_jwt',
        companyOidcMaxAge: '300',
      },
    });
  });
  afterAll(() => rmSync(pkjwt.outdir, { recursive: true, force: true }));

  it('gives the company callback the private key secret instead of the client secret', () => {
    const fn = Object.values(resourcesOf(pkjwt.apiTemplate, 'AWS::Lambda::Function')).find(
      (f) => f.Properties!.Description === 'line-id-link GET /auth/company/callback',
    )!;
    const env: Record<string, unknown> = fn.Properties!.Environment.Variables;
    expect(env.COMPANY_OIDC_PRIVATE_KEY_ARN).toBeDefined();
    expect(env.COMPANY_OIDC_CLIENT_SECRET_ARN).toBeUndefined();
    expect(env.COMPANY_OIDC_TOKEN_AUTH_METHOD).toBe('private_key_jwt');
    expect(env.COMPANY_OIDC_MAX_AGE).toBe('300');
    expect(pkjwt.plan.secrets).toContain('COMPANY_OIDC_PRIVATE_KEY');
    expect(pkjwt.plan.secrets).not.toContain('COMPANY_OIDC_CLIENT_SECRET');
  });
});

describe('operations settings: tracing off, PITR on short-lived tables, audit retention', () => {
  let ops: SynthesizedApp;
  beforeAll(() => {
    ops = synthApp({
      bundle: false,
      context: {
        ...ALL_PATTERNS_CONTEXT,
        tracingEnabled: 'false',
        shortLivedTablesPitr: 'true',
        auditRetentionDays: '400',
      },
    });
  });
  afterAll(() => rmSync(ops.outdir, { recursive: true, force: true }));

  it('turns tracing off everywhere: no active tracing, no X-Ray grant, the tracer told so', () => {
    const functions = Object.values(resourcesOf(ops.apiTemplate, 'AWS::Lambda::Function')).filter((f) =>
      String(f.Properties!.Description).startsWith('line-id-link'),
    );
    expect(functions).toHaveLength(FUNCTION_COUNT);
    for (const fn of functions) {
      expect(fn.Properties!.TracingConfig?.Mode ?? 'PassThrough').toBe('PassThrough');
      expect(fn.Properties!.Environment.Variables.POWERTOOLS_TRACE_ENABLED).toBe('false');
    }
    expect(JSON.stringify(resourcesOf(ops.apiTemplate, 'AWS::IAM::Policy'))).not.toContain('xray:');
  });

  it('keeps point-in-time recovery on every table when asked', () => {
    for (const table of Object.values(resourcesOf(ops.statefulTemplate, 'AWS::DynamoDB::Table'))) {
      expect(table.Properties!.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
      });
    }
  });

  it('gives the retention to exactly the functions that append audit events', () => {
    const writers = [
      ...ROUTES.filter((r) => r.tables.some((t) => t.table === 'audit' && t.actions.includes('PutItem'))).map(
        (r) => `line-id-link ${routeKey(r)}`,
      ),
      `line-id-link ${AUDIENCE_WORKER.description}`,
    ];
    expect(writers.length).toBeGreaterThanOrEqual(5);
    const functions = Object.values(resourcesOf(ops.apiTemplate, 'AWS::Lambda::Function')).filter((f) =>
      String(f.Properties!.Description).startsWith('line-id-link'),
    );
    for (const fn of functions) {
      const value = fn.Properties!.Environment.Variables.AUDIT_RETENTION_DAYS;
      expect(value).toBe(writers.includes(fn.Properties!.Description) ? '400' : undefined);
    }
  });
});

describe('a LIFF-only deployment with a custom domain and alarm e-mail', () => {
  let liff: SynthesizedApp;
  afterAll(() => rmSync(liff.outdir, { recursive: true, force: true }));
  beforeAll(() => {
    liff = synthApp({
      bundle: false,
      context: {
        linkPatterns: 'oidc',
        lineChannelId: '1234567890',
        companyOidcIssuer: 'https://idp.example.com',
        companyOidcClientId: 'line-id-link',
        domainName: 'link.example.com',
        certificateArn:
          'arn:aws:acm:ap-northeast-1:123456789012:certificate/0d2f5e3c-1111-2222-3333-444455556666',
        alarmEmail: 'ops@example.com',
      },
    });
  });

  it('deploys only the routes its patterns need, and no CORS without origins', () => {
    const routes = Object.values(resourcesOf(liff.apiTemplate, 'AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties!.RouteKey,
    );
    const expected = ROUTES.filter((r) =>
      r.settings.every((g) => g === 'line' || g === 'company-oidc' || g === 'audit'),
    ).map(routeKey);
    expect(routes.sort()).toEqual(['$default', ...expected].sort());
    expect(routes).not.toContain('POST /links/by-api');
    expect(routes).not.toContain('GET /auth/line/callback');
    liff.apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.absent(),
      DisableExecuteApiEndpoint: true,
    });
  });

  it('serves the API on the custom domain, which becomes the base URL', () => {
    liff.apiTemplate.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'link.example.com',
    });
    liff.apiTemplate.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    expect(liff.apiTemplate.findOutputs('ApiUrl').ApiUrl!.Value).toBe('https://link.example.com');
    expect(liff.apiTemplate.findOutputs('CustomDomainTarget').CustomDomainTarget).toBeDefined();
  });

  it('sends alarms to an e-mail topic that requires TLS', () => {
    liff.apiTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    for (const alarm of Object.values(resourcesOf(liff.apiTemplate, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties!.AlarmActions).toHaveLength(1);
    }
    liff.apiTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('still creates and exports every table and secret (turning a pattern on later changes only the API stack)', () => {
    liff.statefulTemplate.resourceCountIs('AWS::DynamoDB::Table', Object.keys(TABLES).length);
    liff.statefulTemplate.resourceCountIs('AWS::SecretsManager::Secret', Object.keys(SECRET_SPECS).length);
    // The cross-stack references (names and ARNs), besides the named outputs of stackOutput.
    const exports = Object.values(liff.statefulTemplate.findOutputs('*')).filter((o) =>
      JSON.stringify(o.Export?.Name ?? '').includes(':ExportsOutput'),
    );
    // + the links table's stream ARN (read by the link events publisher).
    expect(exports.length).toBe(2 * Object.keys(TABLES).length + Object.keys(SECRET_SPECS).length + 1);
  });
});
