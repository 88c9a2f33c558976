import { UpstreamError } from '../../functions/core/errors.js';
import {
  NonceUnavailableError,
  WebhookEventAppliedError,
  type AccountLinkNonce,
  type BotMessage,
} from '../../functions/core/webhook-events.js';
import type {
  AccountLinkNonceStore,
  Clock,
  FriendshipStore,
  FriendshipUpdate,
  LinkTokenDirectory,
  MessagingApi,
  StoredWebhookEventClaim,
  WebhookCommitResult,
  WebhookEffect,
  WebhookEventClaim,
  WebhookEventLog,
} from '../../functions/core/ports/index.js';
import type { InMemoryAuditLog, InMemoryLinkRepository } from './fakes.js';

/**
 * In-memory fakes of the Messaging API ports, with the adapters' contracts: an event's claim
 * commits with its effects or not at all, each effect only while the state it was planned on
 * still holds; nonces are bound to a LINE user and used up once; newest-wins friendship.
 */
export class InMemoryWebhookEventLog implements WebhookEventLog {
  readonly claims = new Map<string, StoredWebhookEventClaim>();
  /** Makes the next commit fail like storage does (after writing nothing), once per entry. */
  readonly failures: Error[] = [];

  constructor(
    private readonly state: {
      links: InMemoryLinkRepository;
      audit: InMemoryAuditLog;
      nonces: InMemoryNonceStore;
      clock: Clock;
    },
  ) {
    state.links.webhookGuards = {
      refusal: (guard) => {
        if (guard.kind === 'webhook-event') {
          const claimed = this.claims.get(guard.claim.webhookEventId);
          return claimed ? new WebhookEventAppliedError({ ...claimed }) : undefined;
        }
        if (guard.kind === 'account-link-nonce') {
          const { nonce, lineUserId, now } = guard;
          const holds = this.holds({ kind: 'consume-nonce', nonce, lineUserId, now });
          return holds ? undefined : new NonceUnavailableError();
        }
        return undefined;
      },
      record: (guard) => {
        if (guard.kind === 'webhook-event')
          this.claims.set(guard.claim.webhookEventId, { ...guard.claim, workDone: false });
        if (guard.kind === 'account-link-nonce') this.state.nonces.nonces.delete(guard.nonce);
      },
    };
  }

  async commit(claim: WebhookEventClaim, effects: readonly WebhookEffect[]): Promise<WebhookCommitResult> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    const existing = this.find(claim.webhookEventId);
    const found = await existing;
    if (found) return { status: 'duplicate', claim: found };
    if (!effects.every((effect) => this.holds(effect))) return { status: 'changed' };
    this.claims.set(claim.webhookEventId, { ...claim, workDone: false });
    for (const effect of effects) this.apply(effect);
    return { status: 'applied' };
  }

  async find(webhookEventId: string): Promise<StoredWebhookEventClaim | undefined> {
    const claim = this.claims.get(webhookEventId);
    const now = Math.floor(this.state.clock.now().getTime() / 1000);
    return claim && claim.expiresAt > now ? { ...claim } : undefined;
  }

  async completeWork(webhookEventId: string): Promise<boolean> {
    const claim = this.claims.get(webhookEventId);
    if (!claim || claim.workDone) return false;
    const done = { ...claim, workDone: true };
    delete done.work;
    this.claims.set(webhookEventId, done);
    return true;
  }

  /** Whether the state `effect` was planned on still holds. */
  private holds(effect: WebhookEffect): boolean {
    const { links, nonces, clock } = this.state;
    switch (effect.kind) {
      case 'friendship': {
        const known = links.friendships.get(effect.lineUserId);
        const link = links.byLine.get(effect.lineUserId);
        if (known?.at !== effect.knownAt) return false;
        return effect.linkRemoved === true || link?.companyUserId === effect.link?.companyUserId;
      }
      case 'unlink': {
        const stored = links.byLine.get(effect.link.lineUserId);
        return (
          stored?.companyUserId === effect.link.companyUserId && stored.linkedAt === effect.link.linkedAt
        );
      }
      case 'audit':
        return true;
      case 'consume-nonce': {
        const nonce = nonces.nonces.get(effect.nonce);
        return (
          nonce !== undefined &&
          nonce.lineUserId === effect.lineUserId &&
          nonce.expiresAt > Math.floor(clock.now().getTime() / 1000)
        );
      }
    }
  }

  private apply(effect: WebhookEffect): void {
    const { links, audit, nonces } = this.state;
    switch (effect.kind) {
      case 'friendship': {
        links.friendships.set(effect.lineUserId, { friend: effect.friend, at: effect.at });
        const link = effect.linkRemoved ? undefined : links.byLine.get(effect.lineUserId);
        if (link && (link.friendUpdatedAt === undefined || link.friendUpdatedAt < effect.at)) {
          const updated = { ...link, friend: effect.friend, friendUpdatedAt: effect.at };
          links.byLine.set(effect.lineUserId, updated);
          links.byCompany.set(link.companyUserId, updated);
        }
        return;
      }
      case 'unlink':
        links.byLine.delete(effect.link.lineUserId);
        links.byCompany.delete(effect.link.companyUserId);
        audit.events.push({
          type: 'unlink',
          at: this.state.clock.now().toISOString(),
          lineUserId: effect.link.lineUserId,
          companyUserId: effect.link.companyUserId,
          method: effect.link.method,
        });
        return;
      case 'audit':
        audit.events.push({ ...effect.event });
        return;
      case 'consume-nonce':
        nonces.nonces.delete(effect.nonce);
        return;
    }
  }
}

export class InMemoryNonceStore implements AccountLinkNonceStore {
  readonly nonces = new Map<string, AccountLinkNonce>();
  async create(nonce: AccountLinkNonce): Promise<void> {
    if (this.nonces.has(nonce.nonce)) throw new Error('nonce collision');
    this.nonces.set(nonce.nonce, { ...nonce });
  }
  async find(nonce: string, now: Date): Promise<AccountLinkNonce | undefined> {
    const found = this.nonces.get(nonce);
    return found && found.expiresAt > Math.floor(now.getTime() / 1000) ? { ...found } : undefined;
  }
}

/** Link tokens the fake worker recorded, with their LINE users. */
export class InMemoryLinkTokenDirectory implements LinkTokenDirectory {
  readonly tokens = new Map<string, { lineUserId: string; expiresAt: number }>();
  async record(linkToken: string, lineUserId: string, expiresAt: number): Promise<void> {
    this.tokens.set(linkToken, { lineUserId, expiresAt });
  }
  async find(linkToken: string, now: Date): Promise<string | undefined> {
    const found = this.tokens.get(linkToken);
    return found && found.expiresAt > Math.floor(now.getTime() / 1000) ? found.lineUserId : undefined;
  }
}

/** Friendship kept per user (in the repository's `friendships`) and copied onto its links. */
export class InMemoryFriendshipStore implements FriendshipStore {
  constructor(private readonly links: InMemoryLinkRepository) {}
  /** The newest known state of each user. */
  get known(): Map<string, { friend: boolean; at: string }> {
    return this.links.friendships;
  }
  async current(lineUserId: string): Promise<{ friend: boolean; at: string } | undefined> {
    const known = this.known.get(lineUserId);
    return known ? { ...known } : undefined;
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
  fail: 'none' | 'link-token' | 'reply' | 'reply-refused' = 'none';
  async botUserId(): Promise<string> {
    return `U${'0'.repeat(32)}`;
  }
  async issueLinkToken(userId: string): Promise<string> {
    if (this.fail === 'link-token') throw new UpstreamError('line', 'unavailable');
    const token = `linktoken${this.linkTokens.length + 1}`;
    this.linkTokens.push({ userId, token });
    return token;
  }
  async reply(replyToken: string, messages: BotMessage[]): Promise<void> {
    if (this.fail === 'reply') throw new UpstreamError('line', 'unavailable');
    if (this.fail === 'reply-refused') throw new UpstreamError('line', 'bad-response');
    this.replies.push({ replyToken, messages });
  }
}
