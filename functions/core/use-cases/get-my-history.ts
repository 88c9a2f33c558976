import type { AuditHistory, AuditPage, LineIdentityVerifier } from '../ports/index.js';

/** Ports of {@link getMyHistory}. */
export interface GetMyHistoryPorts {
  line: LineIdentityVerifier;
  audit: AuditHistory;
}

/** Largest page `GET /links/me/history` serves; the default is {@link DEFAULT_HISTORY_PAGE_SIZE}. */
export const MAX_HISTORY_PAGE_SIZE = 100;
export const DEFAULT_HISTORY_PAGE_SIZE = 20;

/**
 * The caller's own audit events (link, relink, unlink, conflict, lockout), newest first. As with
 * {@link getMyLink}, the LINE user is the one the caller's token proves; nothing in the request
 * can name another user (the cursor only positions within the caller's own events).
 */
export async function getMyHistory(
  input: { lineToken: string; limit?: number; cursor?: string },
  ports: GetMyHistoryPorts,
): Promise<AuditPage> {
  const line = await ports.line.verifyBearer(input.lineToken);
  const limit = Math.min(Math.max(1, input.limit ?? DEFAULT_HISTORY_PAGE_SIZE), MAX_HISTORY_PAGE_SIZE);
  return ports.audit.listByLineUserId(line.userId, {
    limit,
    ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
  });
}
