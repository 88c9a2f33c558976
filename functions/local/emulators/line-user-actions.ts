/**
 * What a test user does in the LINE app, as the emulator plays it: add or block the Official
 * Account, send it text, tap postback buttons, and finish LINE's account-link dialog. Each action
 * changes the emulator's state and sends the webhook event LINE would send
 * (https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects): `follow`
 * (with `replyToken` and `follow.isUnblocked`), `unfollow` (no reply token), `message` (text),
 * `postback` and `accountLink` (a reply token only when the result is `ok`).
 */
import { messageId, type LineMessagingStore } from './line-messaging-store.js';
import type { LineWebhookSender, WebhookDelivery } from './line-webhook-sender.js';

/** An action's outcome: the delivery of its event, or why no event was sent. */
export type ActionResult = { delivery: WebhookDelivery } | { skipped: string };

export class LineUserActions {
  constructor(
    private readonly store: LineMessagingStore,
    private readonly webhook: LineWebhookSender,
  ) {}

  /** Adds the Official Account as a friend (or unblocks it): `follow`. No event when already a friend. */
  async follow(userId: string): Promise<ActionResult> {
    const { changed, unblocked } = this.store.follow(userId);
    if (!changed) return { skipped: 'Already a friend.' };
    this.store.note(
      userId,
      'system',
      unblocked ? 'You unblocked the account.' : 'You added the account as a friend.',
    );
    const event = this.webhook.event('follow', userId, {
      replyToken: this.store.issueReplyToken(userId),
      follow: { isUnblocked: unblocked },
    });
    return { delivery: await this.webhook.send([event]) };
  }

  /** Blocks the Official Account: `unfollow`. No event when it was not a friend. */
  async unfollow(userId: string): Promise<ActionResult> {
    if (!this.store.unfollow(userId)) return { skipped: 'Not a friend.' };
    this.store.note(userId, 'system', 'You blocked the account.');
    return { delivery: await this.webhook.send([this.webhook.event('unfollow', userId)]) };
  }

  /** Sends a text message to the account: `message`. Blocked or never-added accounts get nothing. */
  async sendText(userId: string, text: string): Promise<ActionResult> {
    if (!this.store.isFriend(userId)) return { skipped: 'Add the account as a friend first.' };
    this.store.note(userId, 'user', text);
    const event = this.webhook.event('message', userId, {
      replyToken: this.store.issueReplyToken(userId),
      message: { type: 'text', id: messageId(), text },
    });
    return { delivery: await this.webhook.send([event]) };
  }

  /** Taps a postback action: `postback` (its `displayText`, if any, appears as the user's message). */
  async postback(userId: string, data: string, displayText?: string): Promise<ActionResult> {
    if (!this.store.isFriend(userId)) return { skipped: 'Add the account as a friend first.' };
    if (displayText) this.store.note(userId, 'user', displayText);
    const event = this.webhook.event('postback', userId, {
      replyToken: this.store.issueReplyToken(userId),
      postback: { data },
    });
    return { delivery: await this.webhook.send([event]) };
  }

  /**
   * Ends LINE's account-link dialog: `accountLink` with `link.result` and the service's nonce.
   * LINE includes a reply token only when the result is `ok`.
   */
  async accountLink(
    userId: string,
    result: 'ok' | 'failed',
    nonce: string,
    reason?: string,
  ): Promise<ActionResult> {
    this.store.note(
      userId,
      'system',
      result === 'ok' ? 'You linked your LINE account.' : `Account linking failed. ${reason ?? ''}`.trim(),
    );
    const event = this.webhook.event('accountLink', userId, {
      ...(result === 'ok' ? { replyToken: this.store.issueReplyToken(userId) } : {}),
      link: { result, nonce },
    });
    return { delivery: await this.webhook.send([event]) };
  }
}
