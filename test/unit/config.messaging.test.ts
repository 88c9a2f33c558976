import {
  ConfigError,
  loadAccountLinkNonceTtl,
  loadMessagingConfig,
  loadPublicBaseUrl,
} from '../../functions/config.js';

const BASE = { LINE_MESSAGING_CHANNEL_ID: '2000000101', LINE_MESSAGING_CHANNEL_SECRET: 's' };

describe('loadMessagingConfig', () => {
  it('has defaults: keep the link on unfollow, keywords link/連携, 7 days of event IDs, 10-minute nonces', () => {
    expect(loadMessagingConfig(BASE)).toEqual({
      channelId: '2000000101',
      unlinkOnUnfollow: false,
      linkKeywords: ['link', '連携'],
      linkPostbackData: [],
      webhookEventTtlSeconds: 604800,
      nonceTtlSeconds: 600,
      clockSkewSeconds: 60,
    });
  });

  it('reads every setting, and accepts the secret as an ARN', () => {
    const config = loadMessagingConfig({
      LINE_MESSAGING_CHANNEL_ID: '42',
      LINE_MESSAGING_CHANNEL_SECRET_ARN:
        'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:line-messaging-AbC123',
      LINE_UNFOLLOW_UNLINKS: 'true',
      LINE_LINK_KEYWORDS: 'Link Me, 会員連携',
      LINE_LINK_POSTBACK_DATA: 'action=link',
      WEBHOOK_EVENT_TTL_SECONDS: '3600',
      ACCOUNT_LINK_NONCE_TTL_SECONDS: '300',
      WEBHOOK_CLOCK_SKEW_SECONDS: '5',
      LINE_BOT_USER_ID: `U${'0123456789abcdef'.repeat(2)}`,
    });
    expect(config).toMatchObject({
      clockSkewSeconds: 5,
      botUserId: `U${'0123456789abcdef'.repeat(2)}`,
      unlinkOnUnfollow: true,
      linkKeywords: ['link me', '会員連携'],
      linkPostbackData: ['action=link'],
      webhookEventTtlSeconds: 3600,
      nonceTtlSeconds: 300,
    });
    expect(loadMessagingConfig({ ...BASE, LINE_LINK_KEYWORDS: 'none' }).linkKeywords).toEqual([]);
  });

  it('fails fast naming the variable', () => {
    expect(() => loadMessagingConfig({})).toThrow(/LINE_MESSAGING_CHANNEL_ID/);
    expect(() => loadMessagingConfig({ LINE_MESSAGING_CHANNEL_ID: '1' })).toThrow(
      /LINE_MESSAGING_CHANNEL_SECRET/,
    );
    expect(() => loadMessagingConfig({ ...BASE, LINE_MESSAGING_CHANNEL_ID: 'abc' })).toThrow(ConfigError);
    expect(() => loadMessagingConfig({ ...BASE, LINE_UNFOLLOW_UNLINKS: 'yes' })).toThrow(
      /LINE_UNFOLLOW_UNLINKS/,
    );
    expect(() => loadMessagingConfig({ ...BASE, LINE_BOT_USER_ID: 'bot' })).toThrow(/LINE_BOT_USER_ID/);
    expect(() => loadMessagingConfig({ ...BASE, WEBHOOK_CLOCK_SKEW_SECONDS: '-1' })).toThrow(
      /WEBHOOK_CLOCK_SKEW_SECONDS/,
    );
    expect(() => loadAccountLinkNonceTtl({ ACCOUNT_LINK_NONCE_TTL_SECONDS: '7200' })).toThrow(
      /ACCOUNT_LINK_NONCE_TTL_SECONDS/,
    );
    expect(() => loadPublicBaseUrl({ PUBLIC_BASE_URL: 'http://example.com' })).toThrow(/https/);
  });
});
