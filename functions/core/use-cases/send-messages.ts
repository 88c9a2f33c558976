import {
  MULTICAST_LIMIT,
  type LineMessage,
  type MemberSendResult,
  type MemberSendStatus,
} from '../member-messages.js';
import type { LinkDirectory, MulticastSender } from '../ports/index.js';

/** Ports of {@link sendToMembers}. */
export interface SendToMembersPorts {
  links: LinkDirectory;
  sender: MulticastSender;
  /** The retry key of the n-th multicast request of this send (a fresh UUID, or one derived from a job batch). */
  retryKey: (requestIndex: number) => string;
  /** Called after each chunk with the results so far (progress bars, job counters). */
  onProgress?: (done: number, total: number) => void;
}

/** Options of {@link sendToMembers}. */
export interface SendToMembersOptions {
  /** Recipients per multicast request (≤ 500). */
  batchSize?: number;
  /** Resolve only; report reachable members as `sent` would be (no request to LINE). */
  dryRun?: boolean;
}

/**
 * Sends to members by company user ID: resolves their links in chunks, skips those not linked
 * (`not-linked`) or known not to be friends (`not-friend`: the link's `friend` is `false`; unknown
 * counts as reachable, LINE then drops what it cannot deliver), and multicasts to the rest, at most
 * 500 per request. A request that fails for good marks its members `failed`; the others go on.
 * Returns one result per distinct company user ID, in input order.
 */
export async function sendToMembers(
  input: { to: readonly string[]; messages: readonly LineMessage[] },
  ports: SendToMembersPorts,
  options: SendToMembersOptions = {},
): Promise<MemberSendResult[]> {
  const batchSize = Math.min(options.batchSize ?? MULTICAST_LIMIT, MULTICAST_LIMIT);
  const recipients = [...new Set(input.to)];
  const status = new Map<string, MemberSendStatus>();
  let requestIndex = 0;
  let pending: Array<{ companyUserId: string; lineUserId: string }> = [];

  const flush = async (upTo: number) => {
    while (pending.length >= upTo && pending.length > 0) {
      const chunk = pending.slice(0, batchSize);
      pending = pending.slice(batchSize);
      const key = ports.retryKey(requestIndex++);
      let outcome: MemberSendStatus = 'sent';
      if (!options.dryRun) {
        try {
          await ports.sender.multicast(
            chunk.map((r) => r.lineUserId),
            input.messages,
            key,
          );
        } catch {
          outcome = 'failed';
        }
      }
      for (const r of chunk) status.set(r.companyUserId, outcome);
    }
  };

  for (let start = 0; start < recipients.length; start += batchSize) {
    const ids = recipients.slice(start, start + batchSize);
    const links = await ports.links.findManyByCompanyUserIds(ids);
    for (const id of ids) {
      const link = links.get(id);
      if (!link) status.set(id, 'not-linked');
      else if (link.friend === false) status.set(id, 'not-friend');
      else pending.push({ companyUserId: id, lineUserId: link.lineUserId });
    }
    await flush(batchSize);
    ports.onProgress?.(Math.min(start + batchSize, recipients.length) - pending.length, recipients.length);
  }
  await flush(1);
  ports.onProgress?.(recipients.length, recipients.length);
  return recipients.map((companyUserId) => ({ companyUserId, status: status.get(companyUserId)! }));
}
