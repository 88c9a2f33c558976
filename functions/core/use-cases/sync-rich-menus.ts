import {
  BULK_LINK_MAX_USERS,
  NO_RICH_MENU,
  type LinkRichMenuRecords,
  type RichMenuApi,
  type RichMenuLinkState,
} from '../ports/index.js';
import { DEFAULT_LINE_RETRY, withLineRetries, type LineRetryPolicy } from './switch-rich-menu.js';

/** Ports of {@link syncRichMenus}. */
export interface SyncRichMenusPorts {
  records: LinkRichMenuRecords;
  richMenus: RichMenuApi;
  /** RICH_MENU_LINKED_ID; unset: linked users get no per-user menu. */
  linkedId?: string;
  retry?: LineRetryPolicy;
  /** Called after each page with the links seen so far. */
  onProgress?: (seen: number) => void;
}

/** What a sync did. */
export interface SyncRichMenusResult {
  /** Links seen. */
  links: number;
  /** Links brought to the menu now (bulk requests LINE accepted). */
  switched: number;
  /** Links already recorded with that menu: nothing sent. */
  alreadyInLine: number;
  /** Bulk requests sent. */
  requests: number;
}

/**
 * Brings every existing link in line with RICH_MENU_LINKED_ID (links made before it was set, or
 * before it changed): each link's user gets the menu through LINE's bulk endpoint, up to
 * {@link BULK_LINK_MAX_USERS} users a request, and the menu is then recorded on the link.
 *
 * What each link was brought to is recorded on the link rather than asked of LINE (`GET
 * /v2/bot/user/{userId}/richmenu` is one request per user, against the rate limit the bulk
 * endpoint exists to spare): a re-run sends nothing for a link already recorded with the menu,
 * the stream function records the links it switches, and a removed link takes its record with
 * it. LINE applies a bulk request asynchronously (202): a request it accepted is recorded at
 * once, so a run that stops half way goes on where it stopped.
 */
export async function syncRichMenus(ports: SyncRichMenusPorts): Promise<SyncRichMenusResult> {
  const target = ports.linkedId ?? NO_RICH_MENU;
  const retry = ports.retry ?? DEFAULT_LINE_RETRY;
  const result: SyncRichMenusResult = { links: 0, switched: 0, alreadyInLine: 0, requests: 0 };
  let pending: RichMenuLinkState[] = [];
  const flush = async (all: boolean) => {
    while (pending.length >= BULK_LINK_MAX_USERS || (all && pending.length > 0)) {
      const batch = pending.slice(0, BULK_LINK_MAX_USERS);
      pending = pending.slice(batch.length);
      const userIds = batch.map((link) => link.lineUserId);
      await withLineRetries(
        () =>
          ports.linkedId
            ? ports.richMenus.linkToUsers(userIds, ports.linkedId)
            : ports.richMenus.unlinkFromUsers(userIds),
        retry,
      );
      result.requests++;
      await ports.records.record(batch, target);
      result.switched += batch.length;
    }
  };
  for await (const page of ports.records.scan()) {
    for (const link of page) {
      result.links++;
      if (link.richMenuId === target) result.alreadyInLine++;
      else pending.push(link);
    }
    await flush(false);
    ports.onProgress?.(result.links);
  }
  await flush(true);
  return result;
}
