import {
  CompanyTokenReplayedError,
  CompanyUserAlreadyLinkedError,
  InvalidTokenError,
  LineNonceRejectedError,
  LineUserAlreadyLinkedError,
  UpstreamError,
} from '../../functions/core/errors.js';
import type { LineIdentity, Link } from '../../functions/core/link.js';
import type {
  AuditEvent,
  AuditHistory,
  AuditLog,
  AuditPage,
  Clock,
  CompanyAccessTokenVerifier,
  CompanyIdentityVerifier,
  CreateLinkResult,
  FriendshipStatusApi,
  LineIdentityVerifier,
  LineTokenShape,
  LinkFriendship,
  LinkGuard,
  LinkNonceStore,
  LinkRepository,
  VerifiedCompanyAccessToken,
  VerifiedCompanyIdToken,
} from '../../functions/core/ports/index.js';

/**
 * In-memory fakes of the core's ports, for unit tests of use cases. They implement the same
 * contracts as the real adapters (one-to-one, idempotent relink) so the use cases can be tested
 * without DynamoDB; the adapters themselves are tested against DynamoDB Local.
 */
export class InMemoryLinkRepository implements LinkRepository {
  readonly byLine = new Map<string, Link>();
  readonly byCompany = new Map<string, Link>();
  /**
   * The newest known friendship of each LINE user (the messaging table's `FRIEND#…`), shared with
   * InMemoryFriendshipStore: a new link takes it over, and records a learned one newest-wins.
   */
  readonly friendships = new Map<string, { friend: boolean; at: string }>();
  /** Company ID tokens (`tokenId`) and the LINE user each is bound to (`company-token` guards). */
  readonly companyTokens = new Map<string, { lineUserId: string; expiresAt: number }>();
  /**
   * Nonces of `POST /links/nonce` (shared with InMemoryLinkNonceStore): expiry, and the pair
   * whose link used one up (`link-nonce` guards).
   */
  readonly linkNonces = new Map<string, { expiresAt: number; usedBy?: string }>();
  /**
   * The webhook's guards (`webhook-event`, `account-link-nonce`), checked and recorded by the
   * messaging fakes (InMemoryWebhookEventLog.linkGuards); neither is recorded by a relink.
   */
  webhookGuards?: { refusal(guard: LinkGuard): Error | undefined; record(guard: LinkGuard): void };

  async create(
    link: Link,
    _context?: unknown,
    friendship?: LinkFriendship,
    guards: readonly LinkGuard[] = [],
  ): Promise<CreateLinkResult> {
    // As the adapter: a refused guard comes first and writes nothing; a new link or an idempotent
    // relink records the guards; a conflict does not.
    const line = this.byLine.get(link.lineUserId);
    const company = this.byCompany.get(link.companyUserId);
    const relink = line !== undefined && company !== undefined && line.companyUserId === link.companyUserId;
    for (const guard of guards) {
      const refusal = this.guardRefusal(guard, relink);
      if (refusal) throw refusal;
    }
    if (relink) {
      for (const guard of guards) if (guard.kind === 'company-token') this.recordGuard(guard);
      return { link: line, created: false };
    }
    if (line) throw new LineUserAlreadyLinkedError();
    if (company) throw new CompanyUserAlreadyLinkedError();
    for (const guard of guards) this.recordGuard(guard);
    let stored = link;
    if (friendship) {
      const known = this.friendships.get(link.lineUserId);
      // Newest wins, as the adapter's condition: an equal time keeps the known state.
      const state =
        friendship.known === 'learned' && !(known && !(known.at < friendship.at))
          ? { friend: friendship.friend, at: friendship.at }
          : known;
      if (state) {
        this.friendships.set(link.lineUserId, state);
        stored = { ...link, friend: state.friend, friendUpdatedAt: state.at };
      }
    }
    this.byLine.set(link.lineUserId, stored);
    this.byCompany.set(link.companyUserId, stored);
    return { link: stored, created: true };
  }

  /** Why `guard` refuses the request, if it does. */
  private guardRefusal(guard: LinkGuard, relink: boolean): Error | undefined {
    switch (guard.kind) {
      case 'link-nonce': {
        const nonce = this.linkNonces.get(guard.nonce);
        if (!nonce || nonce.expiresAt <= Math.floor(guard.now.getTime() / 1000))
          return new LineNonceRejectedError();
        // Spent on this very pair, still linked: the client's retry.
        if (nonce.usedBy === undefined) return undefined;
        return relink && nonce.usedBy === `${guard.lineUserId} ${guard.companyUserId}`
          ? undefined
          : new LineNonceRejectedError();
      }
      case 'webhook-event':
      case 'account-link-nonce':
        return this.webhookGuards?.refusal(guard);
      case 'company-token': {
        const bound = this.companyTokens.get(guard.tokenId);
        return bound && bound.lineUserId !== guard.lineUserId ? new CompanyTokenReplayedError() : undefined;
      }
    }
  }

  private recordGuard(guard: LinkGuard): void {
    switch (guard.kind) {
      case 'link-nonce':
        this.linkNonces.get(guard.nonce)!.usedBy = `${guard.lineUserId} ${guard.companyUserId}`;
        return;
      case 'webhook-event':
      case 'account-link-nonce':
        this.webhookGuards?.record(guard);
        return;
      case 'company-token':
        this.companyTokens.set(guard.tokenId, { lineUserId: guard.lineUserId, expiresAt: guard.expiresAt });
        return;
    }
  }

  async findByLineUserId(lineUserId: string) {
    return this.byLine.get(lineUserId);
  }

  async findByCompanyUserId(companyUserId: string) {
    return this.byCompany.get(companyUserId);
  }

  async deleteByLineUserId(lineUserId: string) {
    const link = this.byLine.get(lineUserId);
    if (!link) return undefined;
    this.byLine.delete(lineUserId);
    this.byCompany.delete(link.companyUserId);
    return link;
  }
}

/** The channel of a fake LINE token that names none. */
export const FAKE_LINE_CHANNEL = '1000000001';

/**
 * Accepts tokens of the form `line:<userId>` or `line:<userId>@<channelId>` (channel
 * {@link FAKE_LINE_CHANNEL} when none is named); anything else is an invalid token.
 */
export const fakeLineVerifier: LineIdentityVerifier = {
  async verifyBearer(token: string): Promise<LineIdentity> {
    const match = token.match(/^line:([^@;]+)(?:@(\d+))?(?:;nonce=([^;]+))?$/);
    if (!match) throw new InvalidTokenError('line', 'fake: not a line token');
    return {
      userId: match[1]!,
      via: 'id-token',
      channelId: match[2] ?? FAKE_LINE_CHANNEL,
      ...(match[3] !== undefined ? { nonce: match[3] } : {}),
    };
  },
};

/** `line:` tokens present themselves as ID tokens (the fake verifier's); anything else as an access token. */
export const fakeLineTokenShape: LineTokenShape = {
  presentsAsIdToken: (token) => token.startsWith('line:'),
};

/** LINE's friendship status API never answering (LINE unavailable): a link takes over what was known. */
export const unansweredFriendshipStatus: FriendshipStatusApi = {
  isFriend: async () => {
    throw new UpstreamError('line', 'unavailable');
  },
};

/**
 * Accepts tokens of the form `company:<userId>`, optionally followed by `;signedInAt=<epoch
 * seconds>` (default: `clock`'s now at verification) and `;jti=<id>` (default: none, the token
 * is known by itself, as the real verifier knows it by its hash). Tokens live one hour.
 */
export function fakeCompanyVerifier(clock: Clock = frozenClock()): CompanyIdentityVerifier {
  return {
    async verifyIdToken(token: string): Promise<VerifiedCompanyIdToken> {
      const match = token.match(/^company:([^;]+)((?:;[a-zA-Z]+=[^;]*)*)$/);
      if (!match) throw new InvalidTokenError('company', 'fake: not a company token');
      const claims = new URLSearchParams(match[2]!.slice(1).replaceAll(';', '&'));
      const signedInAt = claims.has('signedInAt')
        ? Number(claims.get('signedInAt'))
        : Math.floor(clock.now().getTime() / 1000);
      return {
        userId: match[1]!,
        tokenId: claims.has('jti') ? `jti:${claims.get('jti')}` : `token:${token}`,
        signedInAt,
        expiresAt: signedInAt + 3600,
      };
    },
  };
}

/**
 * Accepts company access tokens of the form `access:<userId>`, optionally followed by
 * `;signedInAt=<epoch seconds>` (default: `clock`'s now); no `exp` is known (as at UserInfo).
 */
export function fakeCompanyAccessTokenVerifier(clock: Clock = frozenClock()): CompanyAccessTokenVerifier {
  return {
    async verifyAccessToken(token: string): Promise<VerifiedCompanyAccessToken> {
      const match = token.match(/^access:([^;]+)(?:;signedInAt=(\d+))?$/);
      if (!match) throw new InvalidTokenError('company', 'fake: not a company access token');
      const signedInAt = match[2] !== undefined ? Number(match[2]) : Math.floor(clock.now().getTime() / 1000);
      return { userId: match[1]!, tokenId: `sha256:${token}`, signedInAt };
    },
  };
}

/** A clock frozen at `iso`. */
export function frozenClock(iso = '2026-11-22T09:00:00.000Z'): Clock {
  const date = new Date(iso);
  return { now: () => new Date(date) };
}

/** Audit log in memory: `events` in the order they were recorded; history newest first. */
export class InMemoryAuditLog implements AuditLog, AuditHistory {
  readonly events: AuditEvent[] = [];

  async record(event: AuditEvent): Promise<void> {
    this.events.push({ ...event });
  }

  async listByLineUserId(lineUserId: string, page: { limit: number; cursor?: string }): Promise<AuditPage> {
    const mine = this.events.filter((e) => e.lineUserId === lineUserId).reverse();
    const start = page.cursor === undefined ? 0 : Number(page.cursor);
    const events = mine.slice(start, start + page.limit);
    const next = start + page.limit;
    return next < mine.length ? { events, nextCursor: String(next) } : { events };
  }
}

/** Nonces of `POST /links/nonce`, kept in the link repository's map (its `link-nonce` guards use them up). */
export class InMemoryLinkNonceStore implements LinkNonceStore {
  constructor(private readonly links: InMemoryLinkRepository) {}

  async create(nonce: { nonce: string; expiresAt: number }): Promise<void> {
    if (this.links.linkNonces.has(nonce.nonce)) throw new Error('nonce collision');
    this.links.linkNonces.set(nonce.nonce, { expiresAt: nonce.expiresAt });
  }
}
