/**
 * The Messaging API side of the LINE Platform emulator, assembled: its state
 * ({@link LineMessagingStore}), the webhook sender, the test users' actions, and the routes of
 * the API, the account-link dialog and the chat pages. The emulator creates one and exposes it as
 * `emulator.messaging`, the handle tests and the dev stack use to drive it.
 */
import type { HttpApp } from './http-app.js';
import { registerAccountLinkDialog } from './line-account-link-dialog.js';
import { LineAudienceStore } from './line-audience-api.js';
import { registerChatRoutes } from './line-chat-routes.js';
import {
  registerMessagingApi,
  type Deauthorization,
  type MessagingApiContext,
} from './line-messaging-api.js';
import {
  LineMessagingStore,
  type BotEndpoint,
  type BotFault,
  type ChatEntry,
  type Clock,
  type MessagingChannel,
  type SentMessage,
} from './line-messaging-store.js';
import type { LineTestUser } from './test-identities.js';
import { LineUserActions, type ActionResult } from './line-user-actions.js';
import { LineWebhookSender, type WebhookDelivery, type WebhookEvent } from './line-webhook-sender.js';

export type {
  BotEndpoint,
  BotFault,
  ChatEntry,
  MessagingChannel,
  SentMessage,
} from './line-messaging-store.js';
export type { ActionResult } from './line-user-actions.js';
export type { EmulatedAudience, LineAudienceStore } from './line-audience-api.js';
export type { WebhookDelivery, WebhookEvent } from './line-webhook-sender.js';
export type { Deauthorization } from './line-messaging-api.js';

/** How tests and the dev stack drive the emulated Official Account. */
export interface LineMessagingControl {
  readonly channel: MessagingChannel;
  /** Where webhook events go (the service's `POST /webhook/line`); undefined: nowhere. */
  webhookUrl: string | undefined;
  isFriend(userId: string): boolean;
  /** The user adds the account as a friend (sends `follow`). */
  follow(userId: string): Promise<ActionResult>;
  /** The user blocks the account (sends `unfollow`). */
  unfollow(userId: string): Promise<ActionResult>;
  /** The user sends text (sends `message`). */
  sendText(userId: string, text: string): Promise<ActionResult>;
  /** The user taps a postback action (sends `postback`). */
  postback(userId: string, data: string, displayText?: string): Promise<ActionResult>;
  /** The user's chat with the account, oldest first. */
  chat(userId: string): readonly ChatEntry[];
  /** Every message the account sent (delivered or not), oldest first. */
  readonly sent: readonly SentMessage[];
  readonly deliveries: readonly WebhookDelivery[];
  readonly deauthorizations: readonly Deauthorization[];
  /** The channel's audiences for uploading user IDs (the audience endpoints' state). */
  readonly audiences: LineAudienceStore;
  /** Refuses the next `count` Messaging API requests with 429; `Infinity` until switched off; 0 off. */
  setRateLimit(count: number): void;
  /**
   * Makes one bot endpoint slow (`delayMs`) or failing (`status`, a 5xx with nothing done) for
   * the next `times` requests (default: until cleared with null), e.g. a link-token API that takes
   * 2.5 s, or a reply that fails once.
   */
  setFault(endpoint: BotEndpoint, fault: BotFault | null): void;
  /** Redelivers a failed delivery with `isRedelivery: true`. */
  redeliver(id: number): Promise<WebhookDelivery | 'unknown' | 'succeeded'>;
  /** LINE's webhook URL verification (a signed body without events). */
  verifyWebhook(): Promise<WebhookDelivery>;
  /**
   * A new event as LINE would build it (fresh `webhookEventId`, the clock's `timestamp`); `fields`
   * add or override anything, e.g. an older `timestamp` or a `replyToken` from {@link replyToken}.
   */
  buildEvent(type: string, userId: string, fields?: Record<string, unknown>): WebhookEvent;
  /** A reply token for `userId`, valid as for a real event. */
  replyToken(userId: string): string;
  /**
   * Signs and delivers `events` as they are, in one body, without changing any state: for tests of
   * late, batched or repeated events (LINE does not guarantee order).
   */
  deliver(events: WebhookEvent[]): Promise<WebhookDelivery>;
}

/** What the Messaging API side needs from the emulator. */
export interface LineMessagingOptions extends Omit<MessagingApiContext, 'store' | 'accountName'> {
  channel: MessagingChannel;
  webhookUrl?: string;
  now: Clock;
  users: () => readonly LineTestUser[];
  /** The Official Account's name in the chat pages. */
  accountName?: string;
}

export class LineMessaging implements LineMessagingControl {
  private readonly store: LineMessagingStore;
  private readonly webhook: LineWebhookSender;
  private readonly actions: LineUserActions;
  private deauths: readonly Deauthorization[] = [];
  readonly audiences: LineAudienceStore;

  constructor(private readonly options: LineMessagingOptions) {
    this.store = new LineMessagingStore(options.channel, options.now);
    this.store.webhookUrl = options.webhookUrl;
    this.webhook = new LineWebhookSender(this.store);
    this.actions = new LineUserActions(this.store, this.webhook);
    this.audiences = new LineAudienceStore(options.now);
  }

  /** Registers the Messaging API, the account-link dialog and the chat routes. */
  register(app: HttpApp): void {
    const { options, store } = this;
    const accountName = options.accountName ?? 'line-id-link Official Account';
    this.deauths = registerMessagingApi(app, {
      store,
      accountName,
      loginChannelSecret: options.loginChannelSecret,
      userAccessToken: options.userAccessToken,
      revokeUserAccessTokens: options.revokeUserAccessTokens,
      audiences: this.audiences,
    }).deauthorizations;
    registerAccountLinkDialog(app, { store, actions: this.actions, users: options.users, accountName });
    registerChatRoutes(app, {
      store,
      webhook: this.webhook,
      actions: this.actions,
      users: options.users,
      accountName,
    });
  }

  get channel(): MessagingChannel {
    return this.store.channel;
  }

  get webhookUrl(): string | undefined {
    return this.store.webhookUrl;
  }

  set webhookUrl(url: string | undefined) {
    this.store.webhookUrl = url;
  }

  isFriend(userId: string): boolean {
    return this.store.isFriend(userId);
  }

  follow(userId: string): Promise<ActionResult> {
    return this.actions.follow(userId);
  }

  unfollow(userId: string): Promise<ActionResult> {
    return this.actions.unfollow(userId);
  }

  sendText(userId: string, text: string): Promise<ActionResult> {
    return this.actions.sendText(userId, text);
  }

  postback(userId: string, data: string, displayText?: string): Promise<ActionResult> {
    return this.actions.postback(userId, data, displayText);
  }

  chat(userId: string): readonly ChatEntry[] {
    return this.store.chat(userId);
  }

  get sent(): readonly SentMessage[] {
    return this.store.sent;
  }

  get deliveries(): readonly WebhookDelivery[] {
    return this.webhook.deliveries;
  }

  get deauthorizations(): readonly Deauthorization[] {
    return this.deauths;
  }

  setRateLimit(count: number): void {
    this.store.rateLimitRemaining = count;
  }

  setFault(endpoint: BotEndpoint, fault: BotFault | null): void {
    this.store.setFault(endpoint, fault);
  }

  redeliver(id: number): Promise<WebhookDelivery | 'unknown' | 'succeeded'> {
    return this.webhook.redeliver(id);
  }

  verifyWebhook(): Promise<WebhookDelivery> {
    return this.webhook.verify();
  }

  buildEvent(type: string, userId: string, fields: Record<string, unknown> = {}): WebhookEvent {
    return this.webhook.event(type, userId, fields);
  }

  replyToken(userId: string): string {
    return this.store.issueReplyToken(userId);
  }

  deliver(events: WebhookEvent[]): Promise<WebhookDelivery> {
    return this.webhook.send(events);
  }
}
