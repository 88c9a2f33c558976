import { AlreadyLinkedError, CompanyUserAlreadyLinkedError, DomainError } from '../errors.js';
import { NONCE_PATTERN, type BotMessage, type MessagingSettings, type WebhookEvent } from '../messaging.js';
import type {
  AccountLinkNonceStore,
  FriendshipStore,
  MessagingApi,
  WebhookEventLog,
} from '../ports/index.js';
import { linkAccounts, type LinkAccountsPorts } from './link-accounts.js';

/** Ports of {@link handleLineWebhook}. */
export interface LineWebhookPorts extends LinkAccountsPorts {
  events: WebhookEventLog;
  friendship: FriendshipStore;
  nonces: AccountLinkNonceStore;
  messaging: MessagingApi;
  settings: MessagingSettings;
}

/** What became of one event (for logs and metrics; never a token or a nonce). */
export interface EventOutcome {
  webhookEventId: string;
  type: WebhookEvent['type'];
  outcome:
    | 'duplicate'
    | 'ignored'
    | 'friend-updated'
    | 'stale'
    | 'unlinked'
    | 'link-offered'
    | 'linked'
    | 'already-linked'
    | 'conflict'
    | 'link-failed'
    | 'nonce-rejected';
  /** The stable code of a refusal (conflicts). */
  code?: string;
  /** A reply or link token could not be obtained or sent (best effort; the event still counts). */
  replyFailed?: boolean;
}

/** LINE's rule for linking: tell the user they can unlink at any time. */
export const UNLINK_NOTICE = 'You can unlink your accounts at any time.';

/**
 * Applies the events of one signed webhook delivery
 * (https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects):
 *
 * - in event-time order (`timestamp`), each one at most once: its `webhookEventId` is claimed
 *   first (a conditional write) and given back if applying it fails, so LINE's redelivery of the
 *   same event is applied exactly once;
 * - `follow` / `unfollow` record whether the user is reachable, newest event wins (an older one
 *   delivered late changes nothing); an unfollow removes the link only when the setting says so;
 * - `follow`, a link keyword or a link postback offer the linking URL (pattern 4) to a user who
 *   is not linked yet;
 * - `accountLink` with `result: ok` consumes its nonce exactly once and links the event's LINE
 *   user to the company user stored with the nonce, through {@link linkAccounts} (method
 *   `account-link`); `failed`, unknown, expired or reused nonces link nothing;
 * - other event types are ignored.
 *
 * Replies are best effort: a failed reply is reported, never retried (reply tokens are single use).
 * @throws whatever storage throws; the failed event's claim is released first.
 */
export async function handleLineWebhook(
  events: readonly WebhookEvent[],
  ports: LineWebhookPorts,
): Promise<EventOutcome[]> {
  const ordered = [...events].sort((a, b) => a.common.timestamp - b.common.timestamp);
  const outcomes: EventOutcome[] = [];
  for (const event of ordered) {
    const base = { webhookEventId: event.common.webhookEventId, type: event.type };
    if (event.type === 'other' || !event.common.userId) {
      outcomes.push({ ...base, outcome: 'ignored' });
      continue;
    }
    const expiresAt = Math.floor(ports.clock.now().getTime() / 1000) + ports.settings.webhookEventTtlSeconds;
    if (!(await ports.events.claim(event.common.webhookEventId, expiresAt))) {
      outcomes.push({ ...base, outcome: 'duplicate' });
      continue;
    }
    try {
      outcomes.push({ ...base, ...(await apply(event, event.common.userId, ports)) });
    } catch (error) {
      await ports.events.release(event.common.webhookEventId).catch(() => undefined);
      throw error;
    }
  }
  return outcomes;
}

type Applied = Pick<EventOutcome, 'outcome' | 'code' | 'replyFailed'>;

async function apply(event: WebhookEvent, userId: string, ports: LineWebhookPorts): Promise<Applied> {
  const at = new Date(event.common.timestamp).toISOString();
  switch (event.type) {
    case 'follow':
    case 'unfollow': {
      const friend = event.type === 'follow';
      const update = await ports.friendship.record(userId, friend, at);
      if (update === 'stale') return { outcome: 'stale' };
      await ports.audit.record({ type: friend ? 'follow' : 'unfollow', at, lineUserId: userId });
      if (!friend) {
        if (ports.settings.unlinkOnUnfollow && (await ports.links.deleteByLineUserId(userId)))
          return { outcome: 'unlinked' };
        return { outcome: 'friend-updated' };
      }
      if (event.type === 'follow' && event.replyToken) {
        const offered = await offerLink(userId, event.replyToken, ports, { silentIfLinked: true });
        return offered ?? { outcome: 'friend-updated' };
      }
      return { outcome: 'friend-updated' };
    }
    case 'message':
    case 'postback': {
      const asked =
        event.type === 'message'
          ? event.text !== undefined && ports.settings.linkKeywords.includes(event.text.trim().toLowerCase())
          : ports.settings.linkPostbackData.includes(event.data);
      if (!asked || !event.replyToken) return { outcome: 'ignored' };
      return (
        (await offerLink(userId, event.replyToken, ports, { silentIfLinked: false })) ?? {
          outcome: 'ignored',
        }
      );
    }
    case 'accountLink':
      return accountLink(event, userId, ports);
    default:
      return { outcome: 'ignored' };
  }
}

/** Sends the linking URL to a user who is not linked (or says they are linked). */
async function offerLink(
  userId: string,
  replyToken: string,
  ports: LineWebhookPorts,
  options: { silentIfLinked: boolean },
): Promise<Applied | undefined> {
  const startUrl = ports.settings.accountLinkStartUrl;
  if (startUrl === undefined) return undefined;
  const existing = await ports.links.findByLineUserId(userId);
  if (existing) {
    if (options.silentIfLinked) return undefined;
    const replied = await reply(ports, replyToken, [
      { type: 'text', text: `Your LINE account is already linked to your member account. ${UNLINK_NOTICE}` },
    ]);
    return { outcome: 'already-linked', ...(replied ? {} : { replyFailed: true }) };
  }
  let linkToken: string;
  try {
    linkToken = await ports.messaging.issueLinkToken(userId);
  } catch (error) {
    if (error instanceof DomainError) return { outcome: 'link-offered', replyFailed: true };
    throw error;
  }
  const url = `${startUrl}?linkToken=${encodeURIComponent(linkToken)}`;
  const replied = await reply(ports, replyToken, [linkMessage(url)]);
  return { outcome: 'link-offered', ...(replied ? {} : { replyFailed: true }) };
}

/**
 * The message carrying the linking URL: a buttons template (text ≤ 160 characters, label ≤ 20,
 * https://developers.line.biz/en/reference/messaging-api/#buttons) with LINE's unlink notice.
 */
export function linkMessage(url: string): BotMessage {
  const text = `Link your member account to use it with LINE. ${UNLINK_NOTICE}`;
  return {
    type: 'template',
    altText: `${text} ${url}`.slice(0, 400),
    template: { type: 'buttons', text, actions: [{ type: 'uri', label: 'Link account', uri: url }] },
  };
}

async function accountLink(
  event: Extract<WebhookEvent, { type: 'accountLink' }>,
  userId: string,
  ports: LineWebhookPorts,
): Promise<Applied> {
  // A nonce we never issued is not looked up; a `failed` result still burns a real nonce.
  const stored = NONCE_PATTERN.test(event.nonce)
    ? await ports.nonces.consume(event.nonce, ports.clock.now())
    : undefined;
  const say = async (text: string) =>
    event.replyToken ? reply(ports, event.replyToken, [{ type: 'text', text }]) : true;
  if (event.result !== 'ok') {
    const replied = await say('Your accounts were not linked.');
    return { outcome: 'link-failed', ...(replied ? {} : { replyFailed: true }) };
  }
  if (!stored) {
    const replied = await say('This linking request has expired or was already used. Please try again.');
    return { outcome: 'nonce-rejected', ...(replied ? {} : { replyFailed: true }) };
  }
  try {
    const { created } = await linkAccounts(
      { lineUserId: userId, companyUserId: stored.companyUserId, method: 'account-link' },
      ports,
    );
    const replied = await say(
      `${created ? 'Your accounts are now linked.' : 'Your accounts were already linked.'} ${UNLINK_NOTICE}`,
    );
    return { outcome: created ? 'linked' : 'already-linked', ...(replied ? {} : { replyFailed: true }) };
  } catch (error) {
    if (!(error instanceof AlreadyLinkedError)) throw error;
    const replied = await say(
      error instanceof CompanyUserAlreadyLinkedError
        ? 'This member account is already linked to another LINE account, so nothing was linked.'
        : 'This LINE account is already linked to another member account, so nothing was linked.',
    );
    return { outcome: 'conflict', code: error.code, ...(replied ? {} : { replyFailed: true }) };
  }
}

async function reply(ports: LineWebhookPorts, replyToken: string, messages: BotMessage[]): Promise<boolean> {
  try {
    await ports.messaging.reply(replyToken, messages);
    return true;
  } catch (error) {
    if (error instanceof DomainError) return false;
    throw error;
  }
}
