import { rmSync } from 'node:fs';
import { readSettings, SettingsError } from '../../lib/settings.js';
import { WebhookWork } from '../../lib/constructs/webhook-work.js';
import {
  ALL_PATTERNS_CONTEXT,
  resourcesOf,
  synthApp,
  type Json,
  type SynthesizedApp,
} from './app-fixture.js';

/** The Messaging API webhook and pattern 4 in the deployed templates. */
let synth: SynthesizedApp;
beforeAll(() => {
  synth = synthApp({ bundle: false });
});
afterAll(() => rmSync(synth.outdir, { recursive: true, force: true }));

/** The webhook work construct of the API stack. */
function webhookWorkOf(app: SynthesizedApp): WebhookWork {
  const found = app.api.node.findAll().filter((c): c is WebhookWork => c instanceof WebhookWork);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function functionProps(routeKey: string) {
  const found = Object.values(resourcesOf(synth.apiTemplate, 'AWS::Lambda::Function')).filter(
    (r) => r.Properties?.Description === `line-id-link ${routeKey}`,
  );
  expect(found).toHaveLength(1);
  return found[0]!.Properties!;
}

describe('Messaging API deployment', () => {
  it('creates the messaging table with its TTL attribute in the stateful stack', () => {
    const id = synth.stateful.getLogicalId(synth.stateful.tables.messaging.table.node.defaultChild as never);
    const messaging = resourcesOf(synth.statefulTemplate, 'AWS::DynamoDB::Table')[id]?.Properties;
    expect(messaging).toBeDefined();
    expect(messaging!.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(messaging!.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
  });

  it('keeps the Messaging API channel secret in Secrets Manager and gives the webhook only its ARN', () => {
    const secrets = Object.values(resourcesOf(synth.statefulTemplate, 'AWS::SecretsManager::Secret'));
    expect(
      secrets.some((s) => String(s.Properties!.Description).includes('LINE_MESSAGING_CHANNEL_SECRET')),
    ).toBe(true);
    const env = functionProps('POST /webhook/line').Environment.Variables;
    expect(env.LINE_MESSAGING_CHANNEL_SECRET).toBeUndefined();
    expect(env.LINE_MESSAGING_CHANNEL_SECRET_ARN).toBeDefined();
    expect(env.LINE_MESSAGING_CHANNEL_ID).toBe('2000000101');
    expect(env.MESSAGING_TABLE).toBeDefined();
    expect(env.PUBLIC_BASE_URL).toBeDefined();
  });

  it('deploys the webhook and the account-link start route', () => {
    functionProps('POST /webhook/line');
    const start = functionProps('GET /account-link/start').Environment.Variables;
    expect(start.PUBLIC_BASE_URL).toBeDefined();
    // The shared company callback stores the account-link nonce.
    expect(functionProps('GET /auth/company/callback').Environment.Variables.MESSAGING_TABLE).toBeDefined();
  });

  it('outputs the webhook URL under a stable export name', () => {
    const output = synth.apiTemplate.findOutputs('WebhookUrl').WebhookUrl!;
    expect(JSON.stringify(output.Value)).toContain('/webhook/line');
    expect(output.Export).toEqual({ Name: 'LineIdLink-Api-WebhookUrl' });
  });

  it('deploys no webhook and no output without the account-link pattern or a Messaging API channel', () => {
    const withoutChannel: Record<string, unknown> = { ...ALL_PATTERNS_CONTEXT };
    delete withoutChannel.lineMessagingChannelId;
    const other = synthApp({
      bundle: false,
      context: { ...withoutChannel, linkPatterns: 'oidc,web' },
    });
    try {
      expect(other.apiTemplate.findOutputs('WebhookUrl')).toEqual({});
      const descriptions = Object.values(resourcesOf(other.apiTemplate, 'AWS::Lambda::Function')).map((f) =>
        String(f.Properties!.Description),
      );
      expect(descriptions).not.toContain('line-id-link POST /webhook/line');
      expect(descriptions).toContain('line-id-link GET /auth/company/callback');
    } finally {
      rmSync(other.outdir, { recursive: true, force: true });
    }
  });

  it('deploys the webhook (reachability, messages) with a Messaging API channel but without pattern 4', () => {
    const other = synthApp({
      bundle: false,
      context: { ...ALL_PATTERNS_CONTEXT, linkPatterns: 'oidc,web' },
    });
    try {
      expect(other.apiTemplate.findOutputs('WebhookUrl')).not.toEqual({});
      const descriptions = Object.values(resourcesOf(other.apiTemplate, 'AWS::Lambda::Function')).map((f) =>
        String(f.Properties!.Description),
      );
      expect(descriptions).toContain('line-id-link POST /webhook/line');
      expect(descriptions).toContain('line-id-link POST /admin/messages');
      expect(descriptions).not.toContain('line-id-link GET /account-link/start');
      // The webhook knows the deployed routes, so it never offers a linking URL that would 404.
      const webhook = Object.values(resourcesOf(other.apiTemplate, 'AWS::Lambda::Function')).find(
        (f) => f.Properties!.Description === 'line-id-link POST /webhook/line',
      )!;
      const routes = String(
        (webhook.Properties!.Environment as { Variables: Record<string, unknown> }).Variables.API_ROUTES,
      ).split(',');
      expect(routes).toContain('POST /webhook/line');
      expect(routes).not.toContain('GET /account-link/start');
    } finally {
      rmSync(other.outdir, { recursive: true, force: true });
    }
  });

  describe("the webhook's LINE work: a queue and its worker", () => {
    const worker = () => functionProps('webhook worker (replies, link tokens)');
    const logicalIdOf = (type: string, predicate: (props: Json) => boolean) => {
      const found = Object.entries(resourcesOf(synth.apiTemplate, type)).filter(([, r]) =>
        predicate(r.Properties ?? {}),
      );
      expect(found).toHaveLength(1);
      return found[0]![0];
    };
    const queues = () => resourcesOf(synth.apiTemplate, 'AWS::SQS::Queue');
    const workQueueId = () => synth.api.getLogicalId(webhookWorkOf(synth).queue.node.defaultChild as never);
    const deadLettersId = () =>
      synth.api.getLogicalId(webhookWorkOf(synth).deadLetterQueue.node.defaultChild as never);
    const statementsOfRole = (functionProps: Json) => {
      const roleId = functionProps.Role['Fn::GetAtt'][0];
      return Object.values(resourcesOf(synth.apiTemplate, 'AWS::IAM::Policy'))
        .filter((p) => p.Properties!.Roles.some((r: { Ref: string }) => r.Ref === roleId))
        .flatMap(
          (p) =>
            p.Properties!.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
        );
    };

    it('gives the webhook the queue URL and SendMessage on that queue, nothing else of SQS', () => {
      const webhook = functionProps('POST /webhook/line');
      expect(webhook.Environment.Variables.WEBHOOK_QUEUE_URL).toEqual({ Ref: workQueueId() });
      const sqs = statementsOfRole(webhook).filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('sqs:')),
      );
      expect(sqs).toEqual([
        expect.objectContaining({
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [workQueueId(), 'Arn'] },
        }),
      ]);
      // The webhook answers with DynamoDB alone: an API function's timeout, nothing sized for LINE.
      expect(webhook.Timeout).toBeLessThanOrEqual(15);
    });

    it('retries failed work a few times within a reply token’s life, then keeps it in a dead-letter queue', () => {
      const queue = queues()[workQueueId()]!.Properties!;
      const timeout = worker().Timeout as number;
      expect(timeout).toBe(30);
      expect(queue.VisibilityTimeout).toBe(6 * timeout);
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId(), 'Arn'] },
        maxReceiveCount: 3,
      });
      expect(queue.SqsManagedSseEnabled).toBe(true);
      expect(queues()[deadLettersId()]!.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      // Something left in the dead-letter queue is alarmed on.
      const alarms = Object.values(resourcesOf(synth.apiTemplate, 'AWS::CloudWatch::Alarm')).filter((a) =>
        JSON.stringify(a.Properties!.Dimensions ?? []).includes(deadLettersId()),
      );
      expect(alarms).toHaveLength(1);
    });

    it('runs the worker from the queue in small batches, reporting failed messages one by one', () => {
      const workerId = logicalIdOf(
        'AWS::Lambda::Function',
        (p) => p.Description === 'line-id-link webhook worker (replies, link tokens)',
      );
      const mappings = Object.values(
        resourcesOf(synth.apiTemplate, 'AWS::Lambda::EventSourceMapping'),
      ).filter((m) => JSON.stringify(m.Properties!.EventSourceArn).includes(workQueueId()));
      expect(mappings).toHaveLength(1);
      const mapping = mappings[0]!.Properties!;
      expect(mapping.FunctionName).toEqual({ Ref: workerId });
      expect(mapping.BatchSize).toBeGreaterThanOrEqual(1);
      expect(mapping.BatchSize).toBeLessThanOrEqual(5);
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    });

    it("gives the worker the messaging settings, the linking URL's parts, its table and secret", () => {
      const env = worker().Environment.Variables;
      expect(env).toMatchObject({
        LINE_MESSAGING_CHANNEL_ID: '2000000101',
        MESSAGING_TABLE: expect.anything(),
        LINE_MESSAGING_CHANNEL_SECRET_ARN: expect.anything(),
        PUBLIC_BASE_URL: expect.anything(),
      });
      expect(String(env.API_ROUTES).split(',')).toContain('GET /account-link/start');
      expect(env.LINE_MESSAGING_CHANNEL_SECRET).toBeUndefined();
      for (const table of ['LINKS_TABLE', 'AUDIT_TABLE', 'SESSIONS_TABLE'])
        expect(env[table]).toBeUndefined();
      expect(env.WEBHOOK_QUEUE_URL).toBeUndefined();

      const statements = statementsOfRole(worker());
      const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toHaveLength(1);
      // The claim read and marked done, the link token recorded: exactly these, on the messaging table.
      expect([dynamo[0]!.Action].flat().sort()).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
      expect(JSON.stringify(dynamo[0]!.Resource)).toContain(
        synth.stateful.getLogicalId(synth.stateful.tables.messaging.table.node.defaultChild as never),
      );
      const secrets = statements.filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
      );
      expect(secrets).toHaveLength(1);
      const sqs = statements
        .filter((s) => [s.Action].flat().some((a) => a.startsWith('sqs:')))
        .flatMap((s) => [s.Action].flat());
      expect(sqs).not.toContain('sqs:SendMessage');
      expect(sqs).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
    });

    it('has no webhook work queue where the webhook is not deployed', () => {
      const withoutChannel: Record<string, unknown> = { ...ALL_PATTERNS_CONTEXT };
      delete withoutChannel.lineMessagingChannelId;
      const other = synthApp({ bundle: false, context: { ...withoutChannel, linkPatterns: 'oidc,web' } });
      try {
        const descriptions = Object.values(resourcesOf(other.apiTemplate, 'AWS::Lambda::Function')).map((f) =>
          String(f.Properties!.Description),
        );
        expect(descriptions).not.toContain('line-id-link webhook worker (replies, link tokens)');
      } finally {
        rmSync(other.outdir, { recursive: true, force: true });
      }
    });
  });

  it('refuses account-link without its channel ID or without the web flow', () => {
    const read = (context: Record<string, unknown>) => () =>
      readSettings({ context: (key) => context[key], env: {} });
    const withoutId: Record<string, unknown> = { ...ALL_PATTERNS_CONTEXT };
    delete withoutId.lineMessagingChannelId;
    expect(read(withoutId)).toThrow(/LINE_MESSAGING_CHANNEL_ID is missing/);
    expect(read({ ...ALL_PATTERNS_CONTEXT, linkPatterns: 'oidc,account-link' })).toThrow(SettingsError);
    expect(read({ ...ALL_PATTERNS_CONTEXT, linkPatterns: 'oidc,account-link' })).toThrow(/needs web/);
  });
});
