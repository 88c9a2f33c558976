import type { BotTexts } from '../bot-texts.js';
import { DomainError, UpstreamError } from '../errors.js';
import type { BotMessage, WebhookReplyWork } from '../webhook-events.js';
import type { Clock, LinkTokenDirectory, MessagingApi, WebhookEventLog } from '../ports/index.js';
import { linkMessage } from './handle-line-webhook.js';

/** Ports of {@link runWebhookWork}. */
export interface WebhookWorkPorts {
  events: Pick<WebhookEventLog, 'find' | 'completeWork'>;
  messaging: MessagingApi;
  linkTokens: Pick<LinkTokenDirectory, 'record'>;
  clock: Clock;
  settings: {
    /** `{PUBLIC_BASE_URL}/account-link/start`; undefined where pattern 4 is not deployed. */
    accountLinkStartUrl?: string;
    /** How long LINE's link tokens are valid, seconds (10 minutes). */
    linkTokenTtlSeconds: number;
    /** What the bot says (the linking message's texts). */
    texts: BotTexts;
  };
}

/** What came of one piece of webhook work (for logs and metrics). */
export type WebhookWorkOutcome =
  /** Replied (with the linking URL, for an offer). */
  | 'replied'
  /** Done by an earlier run (a queue redelivery, a second enqueue after a webhook redelivery). */
  | 'already-done'
  /** The event's claim is gone (expired): too late to answer. */
  | 'claim-gone'
  /** LINE refused for good (an expired or used reply token, a user LINE will not link): not retried. */
  | 'refused';

/**
 * Does the LINE work of one applied webhook event, after the webhook answered: issues a link
 * token and replies with the linking URL, or replies with the event's messages.
 *
 * Exactly once, as far as LINE lets anyone: the event's claim says whether the work was done,
 * and is marked done only after LINE accepted the reply. A run that dies in between is run again
 * by the queue, and LINE itself accepts a reply token once
 * (https://developers.line.biz/en/reference/messaging-api/#send-reply-message): the second reply
 * is refused, never delivered. An unavailable LINE (5xx, timeout) throws, so the queue retries;
 * a refusal (4xx) is final and recorded.
 *
 * The link token is remembered with the LINE user it was issued for, so that the account-link
 * flow binds its nonce to that user.
 */
export async function runWebhookWork(
  work: WebhookReplyWork,
  ports: WebhookWorkPorts,
): Promise<WebhookWorkOutcome> {
  const claim = await ports.events.find(work.webhookEventId);
  if (!claim) return 'claim-gone';
  if (claim.workDone) return 'already-done';
  let messages: BotMessage[];
  if (work.kind === 'offer-link') {
    const startUrl = ports.settings.accountLinkStartUrl;
    if (startUrl === undefined) return finish(work, 'refused', ports);
    let linkToken: string;
    try {
      linkToken = await ports.messaging.issueLinkToken(work.lineUserId);
    } catch (error) {
      if (isFinal(error)) return finish(work, 'refused', ports);
      throw error;
    }
    const expiresAt = Math.floor(ports.clock.now().getTime() / 1000) + ports.settings.linkTokenTtlSeconds;
    await ports.linkTokens.record(linkToken, work.lineUserId, expiresAt);
    messages = [linkMessage(`${startUrl}?linkToken=${encodeURIComponent(linkToken)}`, ports.settings.texts)];
  } else {
    messages = work.messages;
  }
  try {
    await ports.messaging.reply(work.replyToken, messages);
  } catch (error) {
    if (isFinal(error)) return finish(work, 'refused', ports);
    throw error;
  }
  return finish(work, 'replied', ports);
}

async function finish(
  work: WebhookReplyWork,
  outcome: 'replied' | 'refused',
  ports: WebhookWorkPorts,
): Promise<WebhookWorkOutcome> {
  const first = await ports.events.completeWork(work.webhookEventId, outcome);
  return first ? outcome : 'already-done';
}

/** LINE refused the request itself (4xx): trying again cannot help. */
function isFinal(error: unknown): boolean {
  if (error instanceof UpstreamError) return error.kind === 'bad-response';
  return error instanceof DomainError;
}
