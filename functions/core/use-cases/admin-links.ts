import { NotLinkedError } from '../errors.js';
import type { Link } from '../link.js';
import { deauthorizeAuditEvent } from './unlink-me.js';
import type {
  AdminAuditLog,
  AuditLog,
  AttemptUnlocker,
  Clock,
  ErasureReport,
  LinkRepository,
  PersonalDataEraser,
  UnlinkReason,
} from '../ports/index.js';

/** Who called the admin API: the IAM principal ARN of the verified request signature. */
export interface AdminCaller {
  arn: string;
}

/** Ports of the admin use cases. */
export interface AdminLinkPorts {
  links: LinkRepository;
  audit: AdminAuditLog;
  clock: Clock;
}

/**
 * The company looks up a link by one of its two IDs. Lookups are audited too: reading who a
 * member is on LINE is itself access to personal data.
 * @throws NotLinkedError when there is no such link.
 */
export async function lookupLink(
  input: { companyUserId: string } | { lineUserId: string },
  caller: AdminCaller,
  ports: AdminLinkPorts,
): Promise<Link> {
  const link =
    'companyUserId' in input
      ? await ports.links.findByCompanyUserId(input.companyUserId)
      : await ports.links.findByLineUserId(input.lineUserId);
  await ports.audit.recordAdmin({
    action: 'lookup',
    at: ports.clock.now().toISOString(),
    actor: caller.arn,
    ...input,
    ...(link ? { companyUserId: link.companyUserId, lineUserId: link.lineUserId } : {}),
    outcome: link ? 'found' : 'not-found',
  });
  if (!link) throw new NotLinkedError();
  return link;
}

/** Ports of {@link adminUnlink}. */
export interface AdminUnlinkPorts extends AdminLinkPorts {
  /** Admin actions, and the `deauthorize` event of the removed link. */
  audit: AdminAuditLog & AuditLog;
  links: LinkRepository & {
    /** Removes the company user's link, both sides atomically. */
    deleteByCompanyUserId(companyUserId: string): Promise<Link | undefined>;
  };
  eraser: PersonalDataEraser;
}

/** What {@link adminUnlink} did. */
export interface AdminUnlinkResult {
  companyUserId: string;
  reason: UnlinkReason;
  /** Whether a link existed and was removed by this call. */
  unlinked: boolean;
  /** For `erasure-request`: what was removed or pseudonymized, per table. */
  erased?: ErasureReport;
}

/**
 * The company unlinks a member. The link goes first (both sides and its `unlink` audit event in
 * one transaction); the admin action is audited with the caller and the reason, and the removed
 * link's deauthorize as not possible (the company has no LINE access token of the user). An erasure
 * request then removes every personal value of the member, including the audit trail's
 * identifiers, so the admin event of an erasure names the member only by pseudonym (written by
 * the eraser itself) and this function records nothing that would bring the IDs back.
 * Unlinking a member with no link is not an error: the end state holds.
 */
export async function adminUnlink(
  input: { companyUserId: string; reason: UnlinkReason },
  caller: AdminCaller,
  ports: AdminUnlinkPorts,
): Promise<AdminUnlinkResult> {
  const { companyUserId, reason } = input;
  const removed = await ports.links.deleteByCompanyUserId(companyUserId);
  const at = ports.clock.now().toISOString();
  // The company holds no LINE access token of the user, so LINE cannot be asked to deauthorize.
  // Recorded before an erasure, which then pseudonymizes it with the rest of the member's trail.
  if (removed)
    await ports.audit.record(
      deauthorizeAuditEvent(removed, at, 'deauthorize-not-possible', 'no-access-token'),
    );
  if (reason === 'erasure-request') {
    const erased = await ports.eraser.erase({ companyUserId, lineUserId: removed?.lineUserId, at });
    await ports.audit.recordAdmin({
      action: 'erase',
      at,
      actor: caller.arn,
      reason,
      outcome: removed ? 'unlinked-and-erased' : 'erased',
    });
    return { companyUserId, reason, unlinked: removed !== undefined, erased };
  }
  await ports.audit.recordAdmin({
    action: 'unlink',
    at,
    actor: caller.arn,
    companyUserId,
    ...(removed ? { lineUserId: removed.lineUserId } : {}),
    reason,
    outcome: removed ? 'unlinked' : 'not-linked',
  });
  return { companyUserId, reason, unlinked: removed !== undefined };
}

/** Ports of {@link unlockMember}. */
export interface UnlockMemberPorts {
  attempts: AttemptUnlocker;
  audit: AdminAuditLog;
  clock: Clock;
}

/**
 * Clears a member's guessing-protection counter (and, when given, a LINE user's), so a member
 * locked out after the company confirmed who they are can try again at once.
 */
export async function unlockMember(
  input: { memberId: string; lineUserId?: string },
  caller: AdminCaller,
  ports: UnlockMemberPorts,
): Promise<{ memberId: string; countersCleared: number }> {
  const cleared = await ports.attempts.unlock(input);
  await ports.audit.recordAdmin({
    action: 'unlock',
    at: ports.clock.now().toISOString(),
    actor: caller.arn,
    memberId: input.memberId,
    ...(input.lineUserId ? { lineUserId: input.lineUserId } : {}),
    outcome: cleared > 0 ? 'unlocked' : 'nothing-to-unlock',
  });
  return { memberId: input.memberId, countersCleared: cleared };
}
