import {
  CompanyUserAlreadyLinkedError,
  InvalidTokenError,
  LineUserAlreadyLinkedError,
} from '../../functions/core/errors.js';
import type { CompanyIdentity, LineIdentity, Link } from '../../functions/core/link.js';
import type {
  AuditEvent,
  AuditHistory,
  AuditLog,
  AuditPage,
  Clock,
  CompanyIdentityVerifier,
  CreateLinkResult,
  LineIdentityVerifier,
  LinkFriendship,
  LinkRepository,
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

  async create(link: Link, _context?: unknown, friendship?: LinkFriendship): Promise<CreateLinkResult> {
    const line = this.byLine.get(link.lineUserId);
    const company = this.byCompany.get(link.companyUserId);
    if (line && company && line.companyUserId === link.companyUserId) return { link: line, created: false };
    if (line) throw new LineUserAlreadyLinkedError();
    if (company) throw new CompanyUserAlreadyLinkedError();
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
    const match = token.match(/^line:([^@]+)(?:@(\d+))?$/);
    if (!match) throw new InvalidTokenError('line', 'fake: not a line token');
    return { userId: match[1]!, via: 'id-token', channelId: match[2] ?? FAKE_LINE_CHANNEL };
  },
};

/** Accepts tokens of the form `company:<userId>`. */
export const fakeCompanyVerifier: CompanyIdentityVerifier = {
  async verifyIdToken(token: string): Promise<CompanyIdentity> {
    const match = token.match(/^company:(.+)$/);
    if (!match) throw new InvalidTokenError('company', 'fake: not a company token');
    return { userId: match[1]! };
  },
};

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
