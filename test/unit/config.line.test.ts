import { ConfigError, loadLineConfig, loadLineMessagingConfig } from '../../functions/config.js';

describe('loadLineConfig: several channels', () => {
  it('reads a comma-separated list; the login channel defaults to the first', () => {
    const config = loadLineConfig({ LINE_CHANNEL_ID: ' 1111111111, 2222222222 ,3333333333' });
    expect(config.channelIds).toEqual(['1111111111', '2222222222', '3333333333']);
    expect(config.loginChannelId).toBe('1111111111');
    expect(
      loadLineConfig({ LINE_CHANNEL_ID: '1111111111,2222222222', LINE_LOGIN_CHANNEL_ID: '2222222222' })
        .loginChannelId,
    ).toBe('2222222222');
  });

  it('refuses a missing list, a non-numeric entry and a login channel that is not listed', () => {
    expect(() => loadLineConfig({})).toThrow(/LINE_CHANNEL_ID/);
    expect(() => loadLineConfig({ LINE_CHANNEL_ID: '1111111111,abc' })).toThrow(
      'LINE_CHANNEL_ID must be digits only, got "abc".',
    );
    expect(() =>
      loadLineConfig({ LINE_CHANNEL_ID: '1111111111', LINE_LOGIN_CHANNEL_ID: '2222222222' }),
    ).toThrow(ConfigError);
  });

  it('reads the Messaging API channel and insists on its secret', () => {
    expect(
      loadLineMessagingConfig({
        LINE_MESSAGING_CHANNEL_ID: '2000000000',
        LINE_MESSAGING_CHANNEL_SECRET: 's',
      }),
    ).toEqual({ channelId: '2000000000' });
    expect(() => loadLineMessagingConfig({ LINE_MESSAGING_CHANNEL_ID: '2000000000' })).toThrow(
      /LINE_MESSAGING_CHANNEL_SECRET \(or LINE_MESSAGING_CHANNEL_SECRET_ARN\)/,
    );
  });
});
