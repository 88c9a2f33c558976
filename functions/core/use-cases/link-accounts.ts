import { AlreadyLinkedError } from '../errors.js';
import type { Link, LinkMethod } from '../link.js';
import type {
  AuditLog,
  Clock,
  CreateLinkResult,
  FriendshipStore,
  LinkFriendship,
  LinkGuard,
  LinkRepository,
} from '../ports/index.js';

const NOTHING_LEARNED: LinkFriendship = { known: 'unknown' };

/** Ports of {@link linkAccounts}. */
export interface LinkAccountsPorts {
  links: LinkRepository;
  clock: Clock;
  /** Records what the link transaction itself does not: idempotent relinks and conflicts. */
  audit: AuditLog;
  /**
   * Records a friendship state LINE told at an idempotent relink (a new link records it in its
   * own transaction). Without it, such a state is not recorded.
   */
  friendship?: Pick<FriendshipStore, 'record'>;
}

/** Input of {@link linkAccounts}. */
export interface LinkAccountsInput {
  lineUserId: string;
  companyUserId: string;
  method: LinkMethod;
  /** The LINE channel whose token proved `lineUserId` (recorded on the link and its audit events). */
  channelId?: string;
  /** Consent / policy version the front end sent, validated by the handler; kept in the audit trail. */
  consentVersion?: string;
  /**
   * What the request learned of the user's friendship with the LINE Official Account (LINE's
   * friendship status API, asked with the user's access token). Whether given or not, a new link
   * takes over the newest known state in its own transaction (follow / unfollow events the webhook
   * recorded before it, or what LINE just told), so it shows `friend` at once whatever pattern
   * made it.
   */
  friendship?: LinkFriendship;
  /**
   * One-time credentials the request spends (LinkRepository.create): recorded with a new link in
   * its transaction (a company token also at an idempotent relink); a refused one fails the
   * request, writes nothing and is not audited here (the refusal is logged at the edge).
   */
  guards?: readonly LinkGuard[];
}

/**
 * The single place where two verified identities become a link. Every linking pattern (OIDC via
 * LIFF or the web flow, company API, imported records, account link) ends here, so the
 * one-to-one rule, idempotency and the audit trail behave the same everywhere.
 *
 * Audit: a new link's `link` event is written by the repository in the link's own transaction
 * (no link without its event). An idempotent relink (`relink`) and a refused conflict
 * (`conflict`) change nothing in the table, so they are recorded here, after the fact; if that
 * record cannot be written the request fails rather than answer without a trace.
 *
 * Callers must pass identities they verified themselves, never values taken from a request body.
 */
export async function linkAccounts(
  input: LinkAccountsInput,
  ports: LinkAccountsPorts,
): Promise<CreateLinkResult> {
  const now = ports.clock.now().toISOString();
  const link: Link = {
    lineUserId: input.lineUserId,
    companyUserId: input.companyUserId,
    method: input.method,
    linkedAt: now,
    ...(input.channelId !== undefined ? { channelId: input.channelId } : {}),
  };
  const consent = input.consentVersion === undefined ? {} : { consentVersion: input.consentVersion };
  const attempt = {
    at: now,
    lineUserId: input.lineUserId,
    companyUserId: input.companyUserId,
    method: input.method,
    ...(input.channelId !== undefined ? { channelId: input.channelId } : {}),
    ...consent,
  };
  let result: CreateLinkResult;
  try {
    result = await ports.links.create(link, consent, input.friendship ?? NOTHING_LEARNED, input.guards);
  } catch (error) {
    if (error instanceof AlreadyLinkedError) {
      await ports.audit.record({ type: 'conflict', ...attempt, code: error.code });
    }
    throw error;
  }
  if (result.created) return result;
  await ports.audit.record({ type: 'relink', ...attempt });
  const learned = input.friendship?.known === 'learned' ? input.friendship : undefined;
  if (learned && ports.friendship) {
    const update = await ports.friendship.record(input.lineUserId, learned.friend, learned.at);
    if (update === 'updated') {
      return { ...result, link: { ...result.link, friend: learned.friend, friendUpdatedAt: learned.at } };
    }
  }
  return result;
}
