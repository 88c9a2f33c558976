import { UpstreamError } from '../errors.js';
import type { LinkEvent } from '../link-events.js';
import {
  NO_RICH_MENU,
  type AuditLog,
  type Clock,
  type LinkRichMenuRecords,
  type RichMenuApi,
} from '../ports/index.js';

/** Which menu each link status gets; an unset one means "no per-user menu" (the default shows). */
export interface RichMenuSettings {
  linkedId?: string;
  unlinkedId?: string;
}

/**
 * How LINE calls that LINE could not answer (429, 5xx, a timeout) are tried again in-process:
 * `attempts` tries in all, waits doubling from `baseDelayMs` up to `maxDelayMs`, with full
 * jitter (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), so that
 * many users switched at once after an outage do not hit LINE's rate limit together again.
 */
export interface LineRetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Bounded so a stream batch stays well within its function's timeout. */
export const DEFAULT_LINE_RETRY: LineRetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 4_000 };

/**
 * `call`, tried again while it fails with `line-unavailable` (as the policy says); any other
 * failure, and the last `line-unavailable`, is thrown.
 */
export async function withLineRetries<T>(call: () => Promise<T>, policy: LineRetryPolicy): Promise<T> {
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = policy.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const retryable = error instanceof UpstreamError && error.code === 'line-unavailable';
      if (!retryable || attempt >= policy.attempts) throw error;
    }
    await sleep(Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))));
  }
}

/** Ports of {@link switchRichMenu}. */
export interface SwitchRichMenuPorts {
  richMenus: RichMenuApi;
  audit: AuditLog;
  clock: Clock;
  /** Where a linked user's menu is recorded on the link, so `npm run richmenu -- sync` skips it. */
  records?: LinkRichMenuRecords;
  settings: RichMenuSettings;
  retry?: LineRetryPolicy;
}

/**
 * What came of one link change: the status's menu linked, the per-user menu removed, LINE's
 * final refusal (audited, not tried again), or nothing to do (no menu is configured, or the
 * change is not one of link status).
 */
export type RichMenuSwitchOutcome = 'rich-menu-linked' | 'rich-menu-unlinked' | 'rich-menu-failed' | 'none';

/**
 * Switches a LINE user's rich menu after a link change committed (the links table's stream, so
 * every path that links or unlinks is covered and none waits for LINE): a new link gets
 * RICH_MENU_LINKED_ID, a removed one RICH_MENU_UNLINKED_ID; an unset menu removes the per-user
 * menu, so the account's default shows. With neither set nothing is switched.
 *
 * LINE calls it could not answer are tried again ({@link withLineRetries}); when they still fail
 * the `line-unavailable` error is thrown, for the stream to retry the record later, in order.
 * Any other refusal (an unknown user or menu, a user who blocked the account) is final: audited
 * as `rich-menu-failed` and not retried, so one user never holds up the stream. Every other
 * outcome is audited too (`rich-menu-linked`, `rich-menu-unlinked`).
 *
 * A linked user who becomes a friend again (or for the first time) after a switch LINE refused
 * gets the linked menu then, unless the link records it already.
 *
 * Link changes of one user arrive in the order they were committed, so the last one wins.
 */
export async function switchRichMenu(
  change: Pick<LinkEvent, 'type' | 'lineUserId' | 'companyUserId'> & {
    /** Whether the user has the account as a friend, as the link says after the change. */
    friend?: boolean | null;
    /** The menu recorded on the link (its `richMenuId`), if any. */
    recordedMenu?: string;
  },
  ports: SwitchRichMenuPorts,
): Promise<RichMenuSwitchOutcome> {
  const { linkedId, unlinkedId } = ports.settings;
  if (!linkedId && !unlinkedId) return 'none';
  // A linked user who becomes a friend (again) gets the linked menu if it never got it: LINE
  // refuses per-user menus for users who are not friends, and a LIFF link often comes first.
  const befriended =
    change.type === 'link.reachability-changed' &&
    change.friend === true &&
    (change.recordedMenu ?? NO_RICH_MENU) !== (linkedId ?? NO_RICH_MENU);
  if (change.type !== 'link.created' && change.type !== 'link.removed' && !befriended) return 'none';
  const linking = change.type !== 'link.removed';
  const menu = linking ? linkedId : unlinkedId;
  const retry = ports.retry ?? DEFAULT_LINE_RETRY;
  let code: RichMenuSwitchOutcome;
  try {
    if (menu) {
      await withLineRetries(() => ports.richMenus.linkToUser(change.lineUserId, menu), retry);
      code = 'rich-menu-linked';
    } else {
      await withLineRetries(() => ports.richMenus.unlinkFromUser(change.lineUserId), retry);
      code = 'rich-menu-unlinked';
    }
  } catch (error) {
    if (!(error instanceof UpstreamError) || error.code !== 'line-bad-response') throw error;
    code = 'rich-menu-failed';
  }
  if (linking && code !== 'rich-menu-failed' && ports.records) {
    await ports.records.record(
      [{ lineUserId: change.lineUserId, companyUserId: change.companyUserId }],
      menu ?? NO_RICH_MENU,
    );
  }
  await ports.audit.record({
    type: 'rich-menu',
    at: ports.clock.now().toISOString(),
    lineUserId: change.lineUserId,
    companyUserId: change.companyUserId,
    code,
  });
  return code;
}
