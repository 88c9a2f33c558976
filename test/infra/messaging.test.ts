import { rmSync } from 'node:fs';
import { readSettings, SettingsError } from '../../lib/settings.js';
import { ALL_PATTERNS_CONTEXT, resourcesOf, synthApp, type SynthesizedApp } from './app-fixture.js';

/** The Messaging API webhook and pattern 4 in the deployed templates. */
let synth: SynthesizedApp;
beforeAll(() => {
  synth = synthApp({ bundle: false });
});
afterAll(() => rmSync(synth.outdir, { recursive: true, force: true }));

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
