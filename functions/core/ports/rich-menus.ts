/**
 * Ports of the rich menus switched by link status: LINE's per-user rich menus, and the record of
 * which menu each link was last brought to.
 */

/**
 * Per-user rich menus at LINE (Messaging API). Failures are `UpstreamError`s: `line-unavailable`
 * (429, 5xx, a timeout: worth trying again) or `line-bad-response` (any other 4xx: LINE refused
 * the request for good, e.g. an unknown user or menu).
 */
export interface RichMenuApi {
  /** `POST /v2/bot/user/{userId}/richmenu/{richMenuId}`. */
  linkToUser(lineUserId: string, richMenuId: string): Promise<void>;
  /** `DELETE /v2/bot/user/{userId}/richmenu`: the user sees the default menu again. */
  unlinkFromUser(lineUserId: string): Promise<void>;
  /** `POST /v2/bot/richmenu/bulk/link`: up to {@link BULK_LINK_MAX_USERS} users, accepted asynchronously (202). */
  linkToUsers(lineUserIds: readonly string[], richMenuId: string): Promise<void>;
  /** `POST /v2/bot/richmenu/bulk/unlink`: likewise, removing the users' per-user menus. */
  unlinkFromUsers(lineUserIds: readonly string[]): Promise<void>;
}

/** LINE's limit of user IDs per bulk link request (https://developers.line.biz/en/reference/messaging-api/#link-rich-menu-to-users). */
export const BULK_LINK_MAX_USERS = 500;

/** One current link as the rich menu sync sees it. */
export interface RichMenuLinkState {
  lineUserId: string;
  companyUserId: string;
  /** The menu the link was last brought to ({@link NO_RICH_MENU}: its per-user menu removed), if any. */
  richMenuId?: string;
}

/** What {@link LinkRichMenuRecords} records for a link whose per-user menu was removed. */
export const NO_RICH_MENU = 'none';

/**
 * The links and the menu each was last brought to, kept on the link itself so that it goes when
 * the link goes (a new link starts with none).
 */
export interface LinkRichMenuRecords {
  /** How many links there are (for a progress bar). */
  count(): Promise<number>;
  /** Every current link, page by page. */
  scan(): AsyncIterable<readonly RichMenuLinkState[]>;
  /**
   * Records that these links were brought to `richMenuId`. A link removed (or replaced by
   * another company user's) in between is left alone.
   */
  record(links: readonly RichMenuLinkState[], richMenuId: string): Promise<void>;
}
