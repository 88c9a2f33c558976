/**
 * Everything the bot says in the chat, with defaults in Japanese and English. A deployment picks
 * the language (`LINE_BOT_LANGUAGE`) and may replace any text (`LINE_BOT_TEXTS`, a JSON object
 * keyed by the names below), so the bot speaks in the company's own voice without a code change.
 */

/** The languages the bot has default texts in. */
export const BOT_LANGUAGES = ['ja', 'en'] as const;
export type BotLanguage = (typeof BOT_LANGUAGES)[number];

/** The texts of the bot, by name. */
export interface BotTexts {
  /**
   * LINE's rule for account linking: the user is told they can unlink at any time. Added after
   * every text that offers or confirms a link (`linkOffer`, `linked`, `relinked`, `alreadyLinked`),
   * so an override of those cannot drop it.
   */
  unlinkNotice: string;
  /** The linking message's text (a buttons template: with the notice at most 160 characters). */
  linkOffer: string;
  /** The linking message's button. */
  linkButtonLabel: string;
  /** A linked user asked for the linking URL. */
  alreadyLinked: string;
  /** The account-link event linked the accounts. */
  linked: string;
  /** The account-link event found this very pair linked already. */
  relinked: string;
  /** LINE's account-link dialog ended in `failed`. */
  linkFailed: string;
  /** The account-link event's nonce was unknown, expired or used. */
  linkExpired: string;
  /** The member account is linked to another LINE account. */
  conflictCompanyUser: string;
  /** The LINE account is linked to another member account. */
  conflictLineUser: string;
  /** The question before an unlink from the chat (answered with the two quick-reply buttons). */
  unlinkConfirm: string;
  /** Quick-reply button that confirms the unlink. */
  unlinkYesLabel: string;
  /** Quick-reply button that keeps the link. */
  unlinkNoLabel: string;
  /**
   * The link was removed from the chat. The bot holds no user access token there, so LINE does not
   * let it withdraw the user's LINE Login permission: the text says so and how the user does it.
   */
  unlinked: string;
  /** The user answered "no": nothing changed. */
  unlinkCancelled: string;
  /** The user asked to unlink (or confirmed) without a link. */
  notLinked: string;
  /** A "yes" from an old confirmation, or one asked about a link that was since replaced: nothing changed. */
  unlinkExpired: string;
}

export type BotTextName = keyof BotTexts;

/**
 * Longest text LINE accepts where the text is shown: a text message 5000 characters, a buttons
 * template's text 160 (without title or image), an action label 20
 * (https://developers.line.biz/en/reference/messaging-api/#buttons,
 * https://developers.line.biz/en/reference/messaging-api/#quick-reply).
 */
export const BOT_TEXT_LIMITS: Readonly<Record<BotTextName, number>> = {
  unlinkNotice: 5000,
  linkOffer: 160,
  linkButtonLabel: 20,
  alreadyLinked: 5000,
  linked: 5000,
  relinked: 5000,
  linkFailed: 5000,
  linkExpired: 5000,
  conflictCompanyUser: 5000,
  conflictLineUser: 5000,
  unlinkConfirm: 5000,
  unlinkYesLabel: 20,
  unlinkNoLabel: 20,
  unlinked: 5000,
  unlinkCancelled: 5000,
  notLinked: 5000,
  unlinkExpired: 5000,
};

/** Every text name. */
export const BOT_TEXT_NAMES = Object.keys(BOT_TEXT_LIMITS) as readonly BotTextName[];

/**
 * The default texts. Where the user can withdraw the LINE Login permission themselves follows
 * LINE's "Managing authorized apps" (https://developers.line.biz/en/docs/line-login/managing-authorized-apps/).
 */
export const DEFAULT_BOT_TEXTS: Readonly<Record<BotLanguage, BotTexts>> = {
  en: {
    unlinkNotice: 'You can unlink your accounts at any time.',
    linkOffer: 'Link your member account to use it with LINE.',
    linkButtonLabel: 'Link account',
    alreadyLinked: 'Your LINE account is already linked to your member account.',
    linked: 'Your accounts are now linked.',
    relinked: 'Your accounts were already linked.',
    linkFailed: 'Your accounts were not linked.',
    linkExpired: 'This linking request has expired or was already used. Please try again.',
    conflictCompanyUser:
      'This member account is already linked to another LINE account, so nothing was linked.',
    conflictLineUser: 'This LINE account is already linked to another member account, so nothing was linked.',
    unlinkConfirm: 'Unlink your LINE account from your member account?',
    unlinkYesLabel: 'Yes, unlink',
    unlinkNoLabel: 'No',
    unlinked:
      'Your LINE account is no longer linked to your member account. ' +
      'The permission you may have given this service with LINE Login cannot be withdrawn from this chat: ' +
      'to withdraw it, open LINE Settings > Account > Authorized apps, pick this service and tap Unlink.',
    unlinkCancelled: 'Nothing was changed: your accounts are still linked.',
    notLinked: 'Your LINE account is not linked to a member account, so nothing was unlinked.',
    unlinkExpired:
      'This confirmation is no longer valid, so nothing was changed. Please ask to unlink again.',
  },
  ja: {
    unlinkNotice: '連携はいつでも解除できます。',
    linkOffer: 'LINEで会員サービスを利用するには、会員アカウントを連携してください。',
    linkButtonLabel: 'アカウントを連携',
    alreadyLinked: 'このLINEアカウントはすでに会員アカウントと連携しています。',
    linked: 'アカウントの連携が完了しました。',
    relinked: 'このアカウントはすでに連携済みです。',
    linkFailed: 'アカウントは連携されませんでした。',
    linkExpired: 'この連携リクエストは有効期限切れか、すでに使用されています。もう一度お試しください。',
    conflictCompanyUser: 'この会員アカウントは別のLINEアカウントと連携済みのため、連携しませんでした。',
    conflictLineUser: 'このLINEアカウントは別の会員アカウントと連携済みのため、連携しませんでした。',
    unlinkConfirm: '会員アカウントとのLINE連携を解除しますか?',
    unlinkYesLabel: '解除する',
    unlinkNoLabel: 'やめる',
    unlinked:
      'LINEアカウントと会員アカウントの連携を解除しました。' +
      'LINEログインでこのサービスに許可した権限は、このトークからは取り消せません。' +
      '取り消すには、LINEの[設定]>[アカウント]>[連動アプリ]でこのサービスを選び、[連動を解除]をタップしてください。',
    unlinkCancelled: '連携は解除していません。変更はありません。',
    notLinked: 'このLINEアカウントは会員アカウントと連携していないため、解除するものはありません。',
    unlinkExpired:
      'この確認は有効期限が切れているため、何も変更していません。もう一度解除をお申し込みください。',
  },
};

/** The texts of `language` with `overrides` applied. */
export function botTexts(language: BotLanguage, overrides: Partial<BotTexts> = {}): BotTexts {
  return { ...DEFAULT_BOT_TEXTS[language], ...overrides };
}

/**
 * What is wrong with a set of overrides, if anything: an unknown name, a value that is not a
 * non-blank string, or a text longer than LINE shows.
 */
export function botTextOverridesProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `must be a JSON object whose keys are text names (${BOT_TEXT_NAMES.join(', ')})`;
  for (const [name, text] of Object.entries(value)) {
    if (!(BOT_TEXT_NAMES as readonly string[]).includes(name))
      return `has an unknown text "${name}" (known: ${BOT_TEXT_NAMES.join(', ')})`;
    if (typeof text !== 'string' || !text.trim()) return `text "${name}" must be a non-blank string`;
    const limit = BOT_TEXT_LIMITS[name as BotTextName];
    if ([...text].length > limit) return `text "${name}" must be at most ${limit} characters`;
  }
  return undefined;
}

/**
 * What is wrong with the linking text of `language` with `overrides`: together with the unlink
 * notice it is a buttons template's text, at most 160 characters.
 */
export function linkOfferProblem(language: BotLanguage, overrides: Partial<BotTexts>): string | undefined {
  const texts = botTexts(language, overrides);
  const length = [...withUnlinkNotice(texts, texts.linkOffer)].length;
  return length > BOT_TEXT_LIMITS.linkOffer
    ? `texts "linkOffer" and "unlinkNotice" together must be at most ${BOT_TEXT_LIMITS.linkOffer - 1} characters, got ${length - 1}`
    : undefined;
}

/** A text followed by LINE's unlink notice. */
export function withUnlinkNotice(texts: Pick<BotTexts, 'unlinkNotice'>, text: string): string {
  return `${text} ${texts.unlinkNotice}`;
}
