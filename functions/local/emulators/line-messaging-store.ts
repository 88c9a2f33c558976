/**
 * The state behind the LINE Platform emulator's Messaging API: the Official Account (one
 * messaging channel and its bot), who has it as a friend, what it sent to whom (each test user's
 * chat), and the short-lived credentials LINE issues (stateless channel access tokens, link
 * tokens, reply tokens, accepted retry keys). Time comes from an injectable clock so tests can
 * expire tokens without waiting.
 *
 * Lifetimes follow LINE's documentation:
 * - stateless channel access tokens: 15 minutes
 *   (https://developers.line.biz/en/docs/basics/channel-access-token/#stateless-channel-access-token);
 * - link tokens: 10 minutes, single use
 *   (https://developers.line.biz/en/reference/messaging-api/#issue-link-token);
 * - reply tokens: single use, within one minute of the webhook
 *   (https://developers.line.biz/en/reference/messaging-api/#send-reply-message);
 * - retry keys: a request accepted with a key is not accepted again for 24 hours
 *   (https://developers.line.biz/en/docs/messaging-api/retrying-api-request/).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { RichMenuState } from './line-rich-menus.js';

/** The Messaging API channel of the emulated Official Account. */
export interface MessagingChannel {
  channelId: string;
  channelSecret: string;
  /** The bot's user ID (`U` + 32 hex): the `destination` of every webhook body. */
  botUserId: string;
}

/** Epoch milliseconds now. */
export type Clock = () => number;

export const STATELESS_TOKEN_TTL_MS = 15 * 60_000;
export const LINK_TOKEN_TTL_MS = 10 * 60_000;
export const REPLY_TOKEN_TTL_MS = 60_000;
export const RETRY_KEY_TTL_MS = 24 * 60 * 60_000;

/** How a message reached a chat. */
export type SendKind = 'reply' | 'push' | 'multicast';

/** One message the Official Account sent to one user, as recorded for tests and the chat page. */
export interface SentMessage {
  /** LINE's message ID (numeric string). */
  id: string;
  quoteToken: string;
  kind: SendKind;
  /** The `x-line-request-id` of the API request that sent it. */
  requestId: string;
  to: string;
  /** The message object exactly as the service sent it. */
  message: Record<string, unknown>;
  /** Epoch ms. */
  sentAt: number;
  /** False when the user did not have the account as a friend: LINE drops such messages silently. */
  delivered: boolean;
  retryKey?: string;
}

/** A line of a test user's chat with the Official Account. */
export type ChatEntry =
  | { from: 'bot'; at: number; sent: SentMessage }
  | { from: 'user'; at: number; text: string }
  | { from: 'system'; at: number; text: string };

interface ChannelToken {
  channelId: string;
  expiresAt: number;
}

interface LinkToken {
  userId: string;
  issuedAt: number;
  used: boolean;
}

interface ReplyToken {
  userId: string;
  issuedAt: number;
  used: boolean;
}

/** The bot endpoints of the Messaging API whose answers a test can delay or fail. */
export type BotEndpoint =
  | 'linkToken'
  | 'reply'
  | 'push'
  | 'multicast'
  | 'botInfo'
  | 'richMenu'
  | 'audienceCreate'
  | 'audienceAdd'
  | 'audienceGet'
  | 'audienceList';

/**
 * How a bot endpoint misbehaves, for tests of the service's timeouts and retries: it answers
 * after `delayMs` (normally, unless `status` is set too), or answers `status` (LINE's 5xx, with
 * nothing done: no token used, nothing sent), for the next `times` requests (default: until
 * cleared).
 */
export interface BotFault {
  delayMs?: number;
  status?: 500 | 502 | 503 | 504;
  times?: number;
}

/** What a retried request with an accepted key gets back. */
export interface AcceptedRequest {
  requestId: string;
  acceptedAt: number;
  sentMessages: Array<{ id: string; quoteToken: string }>;
}

/** Why a link token cannot complete a link (`link.result: failed`). */
export type LinkTokenState =
  { userId: string; valid: true } | { userId: string; valid: false; reason: string };

export class LineMessagingStore {
  private readonly friends = new Map<string, boolean>();
  /** Users who ever had the account as a friend: re-adding them is an unblock. */
  private readonly everFollowed = new Set<string>();
  private readonly chats = new Map<string, ChatEntry[]>();
  private readonly channelTokens = new Map<string, ChannelToken>();
  private readonly linkTokens = new Map<string, LinkToken>();
  private readonly replyTokens = new Map<string, ReplyToken>();
  private readonly retryKeys = new Map<string, AcceptedRequest>();
  /** Every message sent, in order. */
  readonly sent: SentMessage[] = [];
  /** Requests still to be refused with 429 (`Infinity`: until switched off). */
  rateLimitRemaining = 0;
  private readonly faults = new Map<BotEndpoint, BotFault>();
  webhookUrl: string | undefined;
  /** The account's rich menus, its default and the per-user links. */
  readonly richMenus = new RichMenuState();

  constructor(
    readonly channel: MessagingChannel,
    readonly now: Clock,
  ) {}

  // ------------------------------------------------------------ friendship

  isFriend(userId: string): boolean {
    return this.friends.get(userId) === true;
  }

  /** The user ever had the account as a friend (LINE knows them). */
  knows(userId: string): boolean {
    return this.everFollowed.has(userId);
  }

  /** Makes `userId` a friend; returns `{ changed, unblocked }` (no change when already a friend). */
  follow(userId: string): { changed: boolean; unblocked: boolean } {
    if (this.isFriend(userId)) return { changed: false, unblocked: false };
    const unblocked = this.everFollowed.has(userId);
    this.friends.set(userId, true);
    this.everFollowed.add(userId);
    return { changed: true, unblocked };
  }

  /** Blocks the account (LINE's "unfollow"); returns whether anything changed. */
  unfollow(userId: string): boolean {
    if (!this.isFriend(userId)) return false;
    this.friends.set(userId, false);
    return true;
  }

  // ------------------------------------------------------------ chats

  chat(userId: string): readonly ChatEntry[] {
    return this.chats.get(userId) ?? [];
  }

  note(userId: string, from: 'user' | 'system', text: string): void {
    this.push(userId, { from, at: this.now(), text });
  }

  /** Records a message sent to `to`; it reaches the chat only when `to` is a friend. */
  recordSent(fields: Omit<SentMessage, 'id' | 'quoteToken' | 'sentAt' | 'delivered'>): SentMessage {
    const sent: SentMessage = {
      ...fields,
      id: messageId(),
      quoteToken: randomBytes(24).toString('base64url'),
      sentAt: this.now(),
      delivered: this.isFriend(fields.to),
    };
    this.sent.push(sent);
    if (sent.delivered) this.push(fields.to, { from: 'bot', at: sent.sentAt, sent });
    return sent;
  }

  private push(userId: string, entry: ChatEntry): void {
    let chat = this.chats.get(userId);
    if (!chat) this.chats.set(userId, (chat = []));
    chat.push(entry);
  }

  // ------------------------------------------------------------ channel access tokens

  issueChannelToken(channelId: string): { token: string; expiresInSec: number } {
    const token = randomBytes(48).toString('base64url');
    this.channelTokens.set(token, { channelId, expiresAt: this.now() + STATELESS_TOKEN_TTL_MS });
    return { token, expiresInSec: STATELESS_TOKEN_TTL_MS / 1000 };
  }

  /** The channel a live token was issued to, `expired`, or undefined for an unknown token. */
  channelOfToken(token: string): string | 'expired' | undefined {
    const record = this.channelTokens.get(token);
    if (!record) return undefined;
    if (record.expiresAt <= this.now()) return 'expired';
    return record.channelId;
  }

  // ------------------------------------------------------------ link tokens

  issueLinkToken(userId: string): string {
    // LINE's examples are 32 alphanumeric characters.
    const token = randomAlphanumeric(32);
    this.linkTokens.set(token, { userId, issuedAt: this.now(), used: false });
    return token;
  }

  /** Looks a link token up without using it; undefined when LINE never issued it. */
  inspectLinkToken(token: string): LinkTokenState | undefined {
    const record = this.linkTokens.get(token);
    if (!record) return undefined;
    if (record.used)
      return { userId: record.userId, valid: false, reason: 'The link token was already used.' };
    if (this.now() - record.issuedAt >= LINK_TOKEN_TTL_MS) {
      return { userId: record.userId, valid: false, reason: 'The link token has expired.' };
    }
    return { userId: record.userId, valid: true };
  }

  /** Uses a link token: valid once, within its lifetime. Marks it used either way. */
  useLinkToken(token: string): LinkTokenState | undefined {
    const state = this.inspectLinkToken(token);
    const record = this.linkTokens.get(token);
    if (record) record.used = true;
    return state;
  }

  // ------------------------------------------------------------ reply tokens

  issueReplyToken(userId: string): string {
    const token = randomBytes(16).toString('hex');
    this.replyTokens.set(token, { userId, issuedAt: this.now(), used: false });
    return token;
  }

  /** The user a reply token answers, once, within its lifetime; undefined otherwise. */
  useReplyToken(token: string): string | undefined {
    const record = this.replyTokens.get(token);
    if (!record || record.used || this.now() - record.issuedAt > REPLY_TOKEN_TTL_MS) return undefined;
    record.used = true;
    return record.userId;
  }

  // ------------------------------------------------------------ retry keys

  acceptedRequest(channelId: string, retryKey: string): AcceptedRequest | undefined {
    const accepted = this.retryKeys.get(`${channelId}:${retryKey.toLowerCase()}`);
    if (!accepted || this.now() - accepted.acceptedAt >= RETRY_KEY_TTL_MS) return undefined;
    return accepted;
  }

  acceptRetryKey(channelId: string, retryKey: string, accepted: AcceptedRequest): void {
    this.retryKeys.set(`${channelId}:${retryKey.toLowerCase()}`, accepted);
  }

  // ------------------------------------------------------------ faults

  /** Makes `endpoint` misbehave as `fault` says; null clears it. */
  setFault(endpoint: BotEndpoint, fault: BotFault | null): void {
    if (fault === null || (fault.times !== undefined && fault.times <= 0)) this.faults.delete(endpoint);
    else this.faults.set(endpoint, { ...fault });
  }

  /** The fault this request of `endpoint` meets, if any (and counts it). */
  takeFault(endpoint: BotEndpoint): BotFault | undefined {
    const fault = this.faults.get(endpoint);
    if (!fault) return undefined;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.delete(endpoint);
    }
    return fault;
  }

  // ------------------------------------------------------------ rate limit

  /** True when this request is to be refused with 429 (and counts it). */
  takeRateLimit(): boolean {
    if (this.rateLimitRemaining <= 0) return false;
    this.rateLimitRemaining--;
    return true;
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/** An 18-digit numeric string, the shape of LINE's message IDs. */
export function messageId(): string {
  return `${randomInt(100_000_000, 999_999_999)}${String(randomInt(0, 999_999_999)).padStart(9, '0')}`;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID (https://github.com/ulid/spec): 48-bit time and 80 random bits in Crockford base32, the
 * shape of LINE's `webhookEventId`.
 */
export function ulid(timeMs: number): string {
  let time = '';
  let t = Math.max(0, Math.floor(timeMs));
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let random = '';
  const bytes = randomBytes(16);
  for (let i = 0; i < 16; i++) random += CROCKFORD[bytes[i]! % 32];
  return time + random;
}
