import { ConfigError, readConfig } from '../../../functions/config.js';
import { TABLES } from '../../../functions/manifest/table-definitions.js';

/** How the composition roots read their environment: one group at a time, each parsed once. */
describe('readConfig', () => {
  it('parses nothing until a group is used: a function whose template leaves a group out never fails for it', () => {
    const config = readConfig({ LINE_CHANNEL_ID: 'not digits' });
    expect(config.lineApi).toEqual({ apiBase: 'https://api.line.me', timeoutMs: expect.any(Number) });
    expect(() => config.line).toThrow(ConfigError);
  });

  it('a missing variable fails naming it, when its group is used', () => {
    const config = readConfig({});
    expect(() => config.messaging).toThrow(
      'Missing required environment variable LINE_MESSAGING_CHANNEL_ID (the Messaging API channel ID).',
    );
    expect(() => config.linkEventBusName).toThrow(/LINK_EVENT_BUS_NAME/);
  });

  it('parses each group once and keeps it: the same object, even after the map changed', () => {
    const env: Record<string, string | undefined> = { LINE_CHANNEL_ID: '1111111111' };
    const config = readConfig(env);
    const line = config.line;
    env.LINE_CHANNEL_ID = 'changed';
    expect(config.line).toBe(line);
    expect(config.line.channelIds).toEqual(['1111111111']);
  });

  it('reads the map as it is when a group is first used (a local server completes it before its first request)', () => {
    const env: Record<string, string | undefined> = {};
    const config = readConfig(env);
    env.PUBLIC_BASE_URL = 'https://api.example.com';
    expect(config.publicBaseUrl).toBe('https://api.example.com');
  });

  it('a group that failed is parsed again on its next use', () => {
    const env: Record<string, string | undefined> = {};
    const config = readConfig(env);
    expect(() => config.linkEventBusName).toThrow(ConfigError);
    env.LINK_EVENT_BUS_NAME = 'bus';
    expect(config.linkEventBusName).toBe('bus');
  });

  it('observability follows Powertools: metrics off when disabled, or in dev mode unless told otherwise', () => {
    expect(readConfig({}).observability).toEqual({
      serviceName: 'line-id-link',
      metricsNamespace: 'LineIdLink',
      metricsEnabled: true,
    });
    expect(readConfig({ POWERTOOLS_METRICS_DISABLED: 'true' }).observability.metricsEnabled).toBe(false);
    expect(readConfig({ POWERTOOLS_DEV: 'true' }).observability.metricsEnabled).toBe(false);
    expect(
      readConfig({ POWERTOOLS_DEV: '1', POWERTOOLS_METRICS_DISABLED: 'false' }).observability.metricsEnabled,
    ).toBe(true);
    expect(readConfig({ POWERTOOLS_LOG_LEVEL: 'DEBUG' }).observability.logLevel).toBe('DEBUG');
  });

  it('the tables: every one, each its variable or its local default', () => {
    const tables = readConfig({ LINKS_TABLE: 'my-links' }).tables;
    expect(tables.links).toBe('my-links');
    expect(Object.keys(tables).sort()).toEqual(Object.keys(TABLES).sort());
    expect(tables.audit).toBe(TABLES.audit.defaultName);
  });
});
