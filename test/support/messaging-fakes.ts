import { UpstreamError } from '../../functions/core/errors.js';
import type { AccountLinkNonce, BotMessage } from '../../functions/core/messaging.js';
import type {
  AccountLinkNonceStore,
  FriendshipStore,
  FriendshipUpdate,
  MessagingApi,
  WebhookEventLog,
} from '../../functions/core/ports/index.js';
import type { InMemoryLinkRepository } from './fakes.js';

/**
 * In-memory fakes of the Messaging API ports, with the adapters' contracts: claim-once event IDs,
 * consume-once unexpired nonces, newest-wins friendship.
 */
export class InMemoryWebhookEventLog implements WebhookEventLog {
  readonly claimed = new Map<string, number>();
  async claim(id: string, expiresAt: number): Promise<boolean> {
    if (this.claimed.has(id)) return false;
    this.claimed.set(id, expiresAt);
    return true;
  }
  async release(id: string): Promise<void> {
    this.claimed.delete(id);
  }
}

export class InMemoryNonceStore implements AccountLinkNonceStore {
  readonly nonces = new Map<string, AccountLinkNonce>();
  async create(nonce: AccountLinkNonce): Promise<void> {
    if (this.nonces.has(nonce.nonce)) throw new Error('nonce collision');
    this.nonces.set(nonce.nonce, { ...nonce });
  }
  async consume(nonce: string, now: Date): Promise<AccountLinkNonce | undefined> {
    const found = this.nonces.get(nonce);
    if (!found || !(found.expiresAt > Math.floor(now.getTime() / 1000))) return undefined;
    this.nonces.delete(nonce);
    return found;
  }
}

/** Friendship kept per user (in the repository's `friendships`) and copied onto its links. */
export class InMemoryFriendshipStore implements FriendshipStore {
  constructor(private readonly links: InMemoryLinkRepository) {}
  /** The newest known state of each user. */
  get known(): Map<string, { friend: boolean; at: string }> {
    return this.links.friendships;
  }
  async record(lineUserId: string, friend: boolean, at: string): Promise<FriendshipUpdate> {
    const current = this.known.get(lineUserId);
    if (current && !(current.at < at)) return 'stale';
    this.known.set(lineUserId, { friend, at });
    const link = this.links.byLine.get(lineUserId);
    if (link && (link.friendUpdatedAt === undefined || link.friendUpdatedAt < at)) {
      const updated = { ...link, friend, friendUpdatedAt: at };
      this.links.byLine.set(lineUserId, updated);
      this.links.byCompany.set(link.companyUserId, updated);
    }
    return 'updated';
  }
}

/** Records link tokens and replies; `fail` makes the next calls fail like LINE being down. */
export class FakeMessagingApi implements MessagingApi {
  readonly linkTokens: Array<{ userId: string; token: string }> = [];
  readonly replies: Array<{ replyToken: string; messages: BotMessage[] }> = [];
  fail: 'none' | 'link-token' | 'reply' = 'none';
  async issueLinkToken(userId: string): Promise<string> {
    if (this.fail === 'link-token') throw new UpstreamError('line', 'unavailable');
    const token = `linktoken${this.linkTokens.length + 1}`;
    this.linkTokens.push({ userId, token });
    return token;
  }
  async reply(replyToken: string, messages: BotMessage[]): Promise<void> {
    if (this.fail === 'reply') throw new UpstreamError('line', 'unavailable');
    this.replies.push({ replyToken, messages });
  }
}
