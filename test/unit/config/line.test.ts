import { ConfigError, readConfig, type Env } from '../../../functions/config.js';

/** One settings group of `env`, as a composition root's wiring reads it. */
const lineOf = (env: Env) => readConfig(env).line;
const lineApiOf = (env: Env) => readConfig(env).lineApi;

describe('loadLineConfig: several channels', () => {
  it('reads a comma-separated list; the login channel defaults to the first', () => {
    const config = lineOf({ LINE_CHANNEL_ID: ' 1111111111, 2222222222 ,3333333333' });
    expect(config.channelIds).toEqual(['1111111111', '2222222222', '3333333333']);
    expect(config.loginChannelId).toBe('1111111111');
    expect(
      lineOf({ LINE_CHANNEL_ID: '1111111111,2222222222', LINE_LOGIN_CHANNEL_ID: '2222222222' })
        .loginChannelId,
    ).toBe('2222222222');
  });

  it('refuses a missing list, a non-numeric entry and a login channel that is not listed', () => {
    expect(() => lineOf({})).toThrow(/LINE_CHANNEL_ID/);
    expect(() => lineOf({ LINE_CHANNEL_ID: '1111111111,abc' })).toThrow(
      'LINE_CHANNEL_ID must be digits only, got "abc".',
    );
    expect(() => lineOf({ LINE_CHANNEL_ID: '1111111111', LINE_LOGIN_CHANNEL_ID: '2222222222' })).toThrow(
      ConfigError,
    );
  });

  it('reads the Messaging API channel and insists on its secret', () => {
    expect(
      readConfig({
        LINE_MESSAGING_CHANNEL_ID: '2000000000',
        LINE_MESSAGING_CHANNEL_SECRET: 's',
      }).messaging.channelId,
    ).toBe('2000000000');
    expect(() => readConfig({ LINE_MESSAGING_CHANNEL_ID: '2000000000' }).messaging).toThrow(
      /LINE_MESSAGING_CHANNEL_SECRET \(or LINE_MESSAGING_CHANNEL_SECRET_ARN\)/,
    );
  });
});

describe('loadLineApiConfig: what the Messaging API functions read of the LINE settings', () => {
  it('needs no LINE Login channel (their template gives them none) and checks what it reads', () => {
    expect(lineApiOf({})).toEqual({ apiBase: 'https://api.line.me', timeoutMs: expect.any(Number) });
    expect(lineApiOf({ LINE_API_BASE: 'https://line.example', OUTBOUND_TIMEOUT_MS: '1500' })).toEqual({
      apiBase: 'https://line.example',
      timeoutMs: 1500,
    });
    expect(() => lineApiOf({ LINE_API_BASE: 'http://api.line.example' })).toThrow(ConfigError);
    expect(() => lineApiOf({ OUTBOUND_TIMEOUT_MS: '0' })).toThrow(/OUTBOUND_TIMEOUT_MS/);
  });
});
