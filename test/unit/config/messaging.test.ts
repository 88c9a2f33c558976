import { ConfigError, readConfig, type Env } from '../../../functions/config.js';
import { DEFAULT_BOT_TEXTS } from '../../../functions/core/bot-texts.js';

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
      unlinkKeywords: ['unlink', '連携解除'],
      unlinkPostbackData: [],
      botTexts: DEFAULT_BOT_TEXTS.en,
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

  it('reads the unlink keyword and postback, and the bot language with text overrides', () => {
    const config = messagingOf({
      ...BASE,
      LINE_UNLINK_KEYWORDS: 'Stop Link, none',
      LINE_UNLINK_POSTBACK_DATA: 'action=unlink,menu=unlink',
      LINE_BOT_LANGUAGE: 'ja',
      LINE_BOT_TEXTS: JSON.stringify({ unlinkConfirm: '解除しますか?', unlinkYesLabel: 'はい' }),
    });
    expect(config.unlinkKeywords).toEqual(['stop link']);
    expect(config.unlinkPostbackData).toEqual(['action=unlink', 'menu=unlink']);
    expect(config.botTexts).toEqual({
      ...DEFAULT_BOT_TEXTS.ja,
      unlinkConfirm: '解除しますか?',
      unlinkYesLabel: 'はい',
    });
    expect(messagingOf({ ...BASE, LINE_UNLINK_KEYWORDS: 'none' }).unlinkKeywords).toEqual([]);
  });

  it('refuses bot texts LINE would not show, naming the variable and the text', () => {
    const texts =
      (value: unknown, language = 'en') =>
      () =>
        messagingOf({ ...BASE, LINE_BOT_LANGUAGE: language, LINE_BOT_TEXTS: JSON.stringify(value) });
    expect(() => messagingOf({ ...BASE, LINE_BOT_LANGUAGE: 'fr' })).toThrow(/LINE_BOT_LANGUAGE/);
    expect(() => messagingOf({ ...BASE, LINE_BOT_TEXTS: '{not json' })).toThrow(
      /LINE_BOT_TEXTS must be a JSON object/,
    );
    expect(texts(['a'])).toThrow(/LINE_BOT_TEXTS must be a JSON object/);
    expect(texts({ hello: 'x' })).toThrow(/LINE_BOT_TEXTS has an unknown text "hello"/);
    expect(texts({ unlinked: ' ' })).toThrow(/text "unlinked" must be a non-blank string/);
    expect(texts({ unlinkYesLabel: 'x'.repeat(21) })).toThrow(/"unlinkYesLabel" must be at most 20/);
    // The linking text is a buttons template's text with the unlink notice: 160 characters in all.
    const notice = DEFAULT_BOT_TEXTS.en.unlinkNotice.length;
    expect(texts({ linkOffer: 'x'.repeat(160 - notice) })).toThrow(
      /LINE_BOT_TEXTS texts "linkOffer" and "unlinkNotice"/,
    );
    expect(texts({ linkOffer: 'x'.repeat(159 - notice) })).not.toThrow();
    // The Japanese notice is shorter, so the same text fits there.
    expect(texts({ linkOffer: 'x'.repeat(160 - notice) }, 'ja')).not.toThrow();
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
