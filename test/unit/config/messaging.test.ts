import { ConfigError, readConfig, type Env } from '../../../functions/config.js';

/** One settings group of `env`, as a composition root's wiring reads it. */
const accountLinkNonceTtlSecondsOf = (env: Record<string, string>) =>
  readConfig(env).accountLinkNonceTtlSeconds;
const messagingOf = (env: Env) => readConfig(env).messaging;
const publicBaseUrlOf = (env: Env) => readConfig(env).publicBaseUrl;

const BASE = { LINE_MESSAGING_CHANNEL_ID: '2000000101', LINE_MESSAGING_CHANNEL_SECRET: 's' };

describe('loadMessagingConfig', () => {
  it('has defaults: keep the link on unfollow, keywords link/連携, 7 days of event IDs, 10-minute nonces', () => {
    expect(messagingOf(BASE)).toEqual({
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
    const config = messagingOf({
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
    expect(messagingOf({ ...BASE, LINE_LINK_KEYWORDS: 'none' }).linkKeywords).toEqual([]);
  });

  it('fails fast naming the variable', () => {
    expect(() => messagingOf({})).toThrow(/LINE_MESSAGING_CHANNEL_ID/);
    expect(() => messagingOf({ LINE_MESSAGING_CHANNEL_ID: '1' })).toThrow(/LINE_MESSAGING_CHANNEL_SECRET/);
    expect(() => messagingOf({ ...BASE, LINE_MESSAGING_CHANNEL_ID: 'abc' })).toThrow(ConfigError);
    expect(() => messagingOf({ ...BASE, LINE_UNFOLLOW_UNLINKS: 'yes' })).toThrow(/LINE_UNFOLLOW_UNLINKS/);
    expect(() => messagingOf({ ...BASE, LINE_BOT_USER_ID: 'bot' })).toThrow(/LINE_BOT_USER_ID/);
    expect(() => messagingOf({ ...BASE, WEBHOOK_CLOCK_SKEW_SECONDS: '-1' })).toThrow(
      /WEBHOOK_CLOCK_SKEW_SECONDS/,
    );
    expect(() => accountLinkNonceTtlSecondsOf({ ACCOUNT_LINK_NONCE_TTL_SECONDS: '7200' })).toThrow(
      /ACCOUNT_LINK_NONCE_TTL_SECONDS/,
    );
    expect(() => publicBaseUrlOf({ PUBLIC_BASE_URL: 'http://example.com' })).toThrow(/https/);
  });
});
