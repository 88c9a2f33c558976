/**
 * The rich menus of the emulated Official Account (https://developers.line.biz/en/reference/messaging-api/#rich-menu)
 * and the per-user links LINE keeps, with the rules of LINE's reference:
 *
 * - the rich menu object (https://developers.line.biz/en/reference/messaging-api/#rich-menu-object):
 *   `size` 800–2500 × 250 px or more with an aspect ratio (width / height) of 1.45 or more,
 *   `selected`, `name` (≤ 300 characters), `chatBarText` (≤ 14), 1–20 `areas` within the size;
 *   a channel holds at most 1000 menus;
 * - the image (https://developers.line.biz/en/reference/messaging-api/#upload-rich-menu-image),
 *   on the data API's origin: JPEG or PNG, the size limits above, ≤ 1 MB, uploaded once (a
 *   second upload is refused); a menu without its image cannot be linked or made the default;
 * - per-user links, the default menu, and the bulk link / unlink of up to 500 users, which LINE
 *   accepts with 202 and applies afterwards
 *   (https://developers.line.biz/en/reference/messaging-api/#link-rich-menu-to-users).
 *
 * Users the emulator never saw follow the account are refused with 400, as the link-token
 * endpoint does: the case a real deployment meets when a user ID is wrong.
 */
import { randomBytes } from 'node:crypto';
import {
  headerValue,
  json,
  type AppRequest,
  type AppResponse,
  type Handler,
  type HttpApp,
} from './http-app.js';
import { isRecord, USER_ID, type ErrorDetail } from './line-message-validation.js';

/** A rich menu as LINE stores it. */
export interface StoredRichMenu {
  richMenuId: string;
  size: { width: number; height: number };
  selected: boolean;
  name: string;
  chatBarText: string;
  areas: Array<{
    bounds: { x: number; y: number; width: number; height: number };
    action: Record<string, unknown>;
  }>;
  image?: { bytes: Buffer; contentType: 'image/png' | 'image/jpeg' };
}

export const RICH_MENU_ID = /^richmenu-[0-9a-f]{32}$/;
export const MAX_RICH_MENUS = 1000;
export const MAX_BULK_USERS = 500;
export const MAX_IMAGE_BYTES = 1024 * 1024;

/** The menus, the default and the per-user links. */
export class RichMenuState {
  readonly menus = new Map<string, StoredRichMenu>();
  defaultId: string | undefined;
  readonly perUser = new Map<string, string>();

  /** The menu `userId` sees: their own, else the default (undefined: none). */
  shownTo(userId: string): StoredRichMenu | undefined {
    const id = this.perUser.get(userId) ?? this.defaultId;
    return id ? this.menus.get(id) : undefined;
  }
}

/** The problems of a rich menu object, as LINE lists them in a 400's `details`. */
export function checkRichMenu(body: unknown): ErrorDetail[] {
  if (!isRecord(body)) return [{ property: '', message: 'must be an object' }];
  const details: ErrorDetail[] = [];
  const int = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
  const size = body.size;
  if (!isRecord(size) || !int(size.width) || !int(size.height)) {
    details.push({ property: 'size', message: 'must be specified' });
  } else {
    if (size.width < 800 || size.width > 2500)
      details.push({ property: 'size.width', message: 'must be between 800 and 2500' });
    if (size.height < 250)
      details.push({ property: 'size.height', message: 'must be greater than or equal to 250' });
    if (size.width / size.height < 1.45)
      details.push({ property: 'size', message: 'aspect ratio (width / height) must be 1.45 or more' });
  }
  if (typeof body.selected !== 'boolean')
    details.push({ property: 'selected', message: 'must be specified' });
  if (typeof body.name !== 'string' || body.name === '')
    details.push({ property: 'name', message: 'must be specified' });
  else if ([...body.name].length > 300)
    details.push({ property: 'name', message: 'size must be between 0 and 300' });
  if (typeof body.chatBarText !== 'string' || body.chatBarText === '')
    details.push({ property: 'chatBarText', message: 'must be specified' });
  else if ([...body.chatBarText].length > 14)
    details.push({ property: 'chatBarText', message: 'size must be between 0 and 14' });
  if (!Array.isArray(body.areas) || body.areas.length === 0 || body.areas.length > 20) {
    details.push({ property: 'areas', message: 'size must be between 1 and 20' });
    return details;
  }
  body.areas.forEach((area: unknown, i) => {
    const at = `areas[${i}]`;
    if (!isRecord(area)) return details.push({ property: at, message: 'must be an object' });
    const b = area.bounds;
    if (!isRecord(b) || ![b.x, b.y, b.width, b.height].every(int)) {
      details.push({ property: `${at}.bounds`, message: 'must be specified' });
    } else if (
      isRecord(size) &&
      int(size.width) &&
      int(size.height) &&
      ((b.x as number) < 0 ||
        (b.y as number) < 0 ||
        (b.x as number) + (b.width as number) > size.width ||
        (b.y as number) + (b.height as number) > size.height)
    ) {
      details.push({ property: `${at}.bounds`, message: 'must be within the rich menu size' });
    }
    const action = area.action;
    if (!isRecord(action) || typeof action.type !== 'string') {
      details.push({ property: `${at}.action`, message: 'must be specified' });
    } else if (action.type === 'postback' && (typeof action.data !== 'string' || action.data === '')) {
      details.push({ property: `${at}.action.data`, message: 'must be specified' });
    } else if (action.type === 'message' && (typeof action.text !== 'string' || action.text === '')) {
      details.push({ property: `${at}.action.text`, message: 'must be specified' });
    } else if (
      action.type === 'uri' &&
      (typeof action.uri !== 'string' || !/^(https?|line|tel):/.test(action.uri))
    ) {
      details.push({ property: `${at}.action.uri`, message: 'must be a valid URI' });
    } else if (!['postback', 'message', 'uri', 'datetimepicker', 'richmenuswitch'].includes(action.type)) {
      details.push({ property: `${at}.action.type`, message: 'is not a supported action type' });
    }
    return undefined;
  });
  return details;
}

/** Width and height of a PNG (IHDR) or JPEG (first SOFn marker); undefined when neither. */
export function imageSize(bytes: Buffer, type: string): { width: number; height: number } | undefined {
  if (type === 'image/png') {
    if (
      bytes.length < 24 ||
      bytes.readUInt32BE(0) !== 0x89504e47 ||
      bytes.toString('latin1', 12, 16) !== 'IHDR'
    )
      return undefined;
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (type === 'image/jpeg') {
    if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
    let i = 2;
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) return undefined;
      const marker = bytes[i + 1]!;
      const length = bytes.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
        return { height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
      i += 2 + length;
    }
  }
  return undefined;
}

const NOT_FOUND = { message: 'Not found' };

/**
 * Registers LINE's rich menu endpoints on `app`, each wrapped by `bot` (the channel access token,
 * the rate limit and the tests' faults of the `richMenu` endpoint). `isKnownUser`: the user ever
 * followed the account.
 */
export function registerRichMenuApi(
  app: HttpApp,
  bot: (handler: (req: AppRequest) => AppResponse | Promise<AppResponse>) => Handler,
  state: RichMenuState,
  isKnownUser: (userId: string) => boolean,
): void {
  const menuOf = (req: AppRequest) => state.menus.get(req.params.richMenuId ?? '');
  const userProblem = (userId: string): AppResponse | undefined => {
    if (!USER_ID.test(userId))
      return json(400, { message: "The value for the 'userId' parameter is invalid" });
    if (!isKnownUser(userId))
      return json(400, { message: 'The user has not added the LINE Official Account as a friend' });
    return undefined;
  };
  const badBody = (details: ErrorDetail[]) =>
    json(400, { message: `The request body has ${details.length} error(s)`, details });
  const userIdsOf = (body: unknown): string[] | AppResponse => {
    const ids = isRecord(body) ? body.userIds : undefined;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BULK_USERS)
      return badBody([{ property: 'userIds', message: `size must be between 1 and ${MAX_BULK_USERS}` }]);
    if (!ids.every((id) => typeof id === 'string' && USER_ID.test(id)))
      return badBody([{ property: 'userIds', message: 'must be LINE user IDs' }]);
    return ids as string[];
  };
  /** LINE applies a bulk request after answering 202. */
  const later = (apply: () => void) => void setImmediate(apply);

  app.post(
    '/v2/bot/richmenu/validate',
    bot((req) => {
      const details = checkRichMenu(req.json);
      return details.length ? badBody(details) : json(200, {});
    }),
  );
  app.post(
    '/v2/bot/richmenu',
    bot((req) => {
      const details = checkRichMenu(req.json);
      if (details.length) return badBody(details);
      if (state.menus.size >= MAX_RICH_MENUS)
        return json(400, { message: `The number of rich menus has reached the limit of ${MAX_RICH_MENUS}` });
      const body = req.json as Omit<StoredRichMenu, 'richMenuId'>;
      const richMenuId = `richmenu-${randomBytes(16).toString('hex')}`;
      state.menus.set(richMenuId, {
        richMenuId,
        size: body.size,
        selected: body.selected,
        name: body.name,
        chatBarText: body.chatBarText,
        areas: body.areas,
      });
      return json(200, { richMenuId });
    }),
  );
  app.get(
    '/v2/bot/richmenu/list',
    bot(() => json(200, { richmenus: [...state.menus.values()].map(publicMenu) })),
  );
  app.post(
    '/v2/bot/richmenu/bulk/link',
    bot((req) => {
      const ids = userIdsOf(req.json);
      if (!Array.isArray(ids)) return ids;
      const richMenuId = isRecord(req.json) ? req.json.richMenuId : undefined;
      const menu = typeof richMenuId === 'string' ? state.menus.get(richMenuId) : undefined;
      if (!menu) return badBody([{ property: 'richMenuId', message: 'rich menu not found' }]);
      if (!menu.image) return json(400, { message: 'must upload richmenu image before applying it to user' });
      later(() => ids.filter(isKnownUser).forEach((id) => state.perUser.set(id, menu.richMenuId)));
      return json(202, {});
    }),
  );
  app.post(
    '/v2/bot/richmenu/bulk/unlink',
    bot((req) => {
      const ids = userIdsOf(req.json);
      if (!Array.isArray(ids)) return ids;
      later(() => ids.forEach((id) => state.perUser.delete(id)));
      return json(202, {});
    }),
  );
  app.get(
    '/v2/bot/richmenu/:richMenuId',
    bot((req) => {
      const menu = menuOf(req);
      return menu ? json(200, publicMenu(menu)) : json(404, NOT_FOUND);
    }),
  );
  app.route(
    'DELETE',
    '/v2/bot/richmenu/:richMenuId',
    bot((req) => {
      const menu = menuOf(req);
      if (!menu) return json(404, NOT_FOUND);
      state.menus.delete(menu.richMenuId);
      if (state.defaultId === menu.richMenuId) state.defaultId = undefined;
      for (const [user, id] of state.perUser) if (id === menu.richMenuId) state.perUser.delete(user);
      return json(200, {});
    }),
  );
  // The data API (api-data.line.me): the image.
  app.post(
    '/v2/bot/richmenu/:richMenuId/content',
    bot((req) => {
      const menu = menuOf(req);
      if (!menu) return json(404, NOT_FOUND);
      const type = (headerValue(req.headers['content-type']) ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'image/png' && type !== 'image/jpeg')
        return json(415, { message: 'Unsupported media type: use image/jpeg or image/png' });
      if (req.bytes.length > MAX_IMAGE_BYTES) return json(413, { message: 'The image is larger than 1 MB' });
      const size = imageSize(req.bytes, type);
      if (!size) return json(400, { message: 'The image cannot be read as ' + type });
      if (size.width < 800 || size.width > 2500 || size.height < 250 || size.width / size.height < 1.45)
        return json(400, {
          message:
            'The image must be 800 to 2500 pixels wide, 250 or more high, with a width / height of 1.45 or more',
        });
      if (menu.image) return json(400, { message: 'An image has already been uploaded to the richmenu' });
      menu.image = { bytes: Buffer.from(req.bytes), contentType: type };
      return json(200, {});
    }),
  );
  app.get(
    '/v2/bot/richmenu/:richMenuId/content',
    bot((req) => {
      const menu = menuOf(req);
      if (!menu?.image) return json(404, NOT_FOUND);
      return { status: 200, headers: { 'content-type': menu.image.contentType }, body: menu.image.bytes };
    }),
  );
  // The default menu; registered before the per-user routes, whose `:userId` would match `all`.
  app.get(
    '/v2/bot/user/all/richmenu',
    bot(() =>
      state.defaultId
        ? json(200, { richMenuId: state.defaultId })
        : json(404, { message: 'no default richmenu' }),
    ),
  );
  app.post(
    '/v2/bot/user/all/richmenu/:richMenuId',
    bot((req) => {
      const menu = menuOf(req);
      if (!menu) return json(404, NOT_FOUND);
      if (!menu.image) return json(400, { message: 'must upload richmenu image before applying it to user' });
      state.defaultId = menu.richMenuId;
      return json(200, {});
    }),
  );
  app.route(
    'DELETE',
    '/v2/bot/user/all/richmenu',
    bot(() => {
      state.defaultId = undefined;
      return json(200, {});
    }),
  );
  app.get(
    '/v2/bot/user/:userId/richmenu',
    bot((req) => {
      const userId = req.params.userId ?? '';
      const problem = userProblem(userId);
      if (problem) return problem;
      const id = state.perUser.get(userId);
      return id ? json(200, { richMenuId: id }) : json(404, { message: 'the user has no richmenu' });
    }),
  );
  app.post(
    '/v2/bot/user/:userId/richmenu/:richMenuId',
    bot((req) => {
      const userId = req.params.userId ?? '';
      const problem = userProblem(userId);
      if (problem) return problem;
      const menu = menuOf(req);
      if (!menu) return json(404, NOT_FOUND);
      if (!menu.image) return json(400, { message: 'must upload richmenu image before applying it to user' });
      state.perUser.set(userId, menu.richMenuId);
      return json(200, {});
    }),
  );
  app.route(
    'DELETE',
    '/v2/bot/user/:userId/richmenu',
    bot((req) => {
      const userId = req.params.userId ?? '';
      const problem = userProblem(userId);
      if (problem) return problem;
      state.perUser.delete(userId);
      return json(200, {});
    }),
  );
}

/** A menu as LINE returns it (without the image). */
function publicMenu(menu: StoredRichMenu) {
  return {
    richMenuId: menu.richMenuId,
    size: menu.size,
    selected: menu.selected,
    name: menu.name,
    chatBarText: menu.chatBarText,
    areas: menu.areas,
  };
}
