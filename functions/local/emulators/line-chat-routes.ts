/**
 * Test-only routes of the LINE Platform emulator around the Messaging API (all under
 * `/_emulator/`, never part of LINE's API):
 *
 * - `GET /_emulator/chat` — links to every test user's chat;
 * - `GET /_emulator/chat/{userId}` — the user's "LINE chat" page; `…/state` the same as JSON;
 * - `POST /_emulator/chat/{userId}/follow|unfollow|message|postback` — the user's actions, which send
 *   signed webhook events (a form post is answered with 303 back to the chat, JSON with JSON);
 * - `GET /_emulator/webhook/deliveries`, `POST /_emulator/webhook/redeliver` (`id`),
 *   `POST /_emulator/webhook/url` (`url`), `POST /_emulator/webhook/verify`;
 * - `GET /_emulator/richmenus` — the rich menus, the default and the per-user links;
 *   `GET /_emulator/richmenu/{richMenuId}/image` — a menu's image (for the chat page);
 * - `GET /_emulator/messaging/sent`, `POST /_emulator/messaging/rate-limit` (`count`: a number, or
 *   null to switch the 429 mode off, or "always");
 * - `POST /_emulator/messaging/fault` (`endpoint`: linkToken, reply, push, multicast, botInfo or richMenu;
 *   `delayMs`, `status` 500/502/503/504, `times`; or `clear: true`): a slow or failing bot endpoint.
 */
import { escapeHtml } from '../../handlers/http/escape-html.js';
import { html, json, redirect, type AppRequest, type AppResponse, type HttpApp } from './http-app.js';
import { chatPage, chatPath, emulatorErrorPage } from './line-chat-page.js';
import type { BotEndpoint, BotFault, LineMessagingStore } from './line-messaging-store.js';
import { isRecord } from './line-message-validation.js';
import type { ActionResult, LineUserActions } from './line-user-actions.js';
import type { LineWebhookSender, WebhookDelivery } from './line-webhook-sender.js';
import type { LineTestUser } from './test-identities.js';

export interface ChatRoutesContext {
  store: LineMessagingStore;
  webhook: LineWebhookSender;
  actions: LineUserActions;
  users: () => readonly LineTestUser[];
  /** The name the chat header shows for the Official Account. */
  accountName: string;
}

/** True when the caller wants JSON back (tests, scripts) rather than a page. */
function wantsJson(req: AppRequest): boolean {
  return (
    (req.headers.accept ?? '').includes('application/json') ||
    (req.headers['content-type'] ?? '').includes('application/json')
  );
}

/** A field of a JSON or form body. */
function field(req: AppRequest, name: string): string | undefined {
  if (isRecord(req.json)) {
    const value = req.json[name];
    return typeof value === 'string' ? value : undefined;
  }
  return req.form.get(name) ?? undefined;
}

/** Deliveries whose events concern `userId`. */
function deliveriesOf(deliveries: readonly WebhookDelivery[], userId: string): WebhookDelivery[] {
  return deliveries.filter((d) => d.events.some((ev) => ev.source.userId === userId)).slice(-20);
}

export function registerChatRoutes(app: HttpApp, ctx: ChatRoutesContext): void {
  const { store, webhook, actions } = ctx;
  const user = (req: AppRequest) => ctx.users().find((u) => u.userId === req.params.userId);

  const state = (u: LineTestUser) => ({
    userId: u.userId,
    displayName: u.displayName,
    friend: store.isFriend(u.userId),
    entries: store.chat(u.userId),
    richMenuId: store.richMenus.shownTo(u.userId)?.richMenuId ?? null,
  });

  app.get('/_emulator/chat', () => {
    const items = ctx
      .users()
      .map(
        (u) =>
          `<li><a href="${escapeHtml(chatPath(u.userId))}">${escapeHtml(u.displayName)}</a> ${store.isFriend(u.userId) ? '(friend)' : ''}</li>`,
      )
      .join('');
    return html(
      200,
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>LINE chats (emulator)</title></head>` +
        `<body><h1>LINE chats (emulator)</h1><ul id="chats">${items}</ul></body></html>`,
    );
  });

  app.get('/_emulator/chat/:userId', (req) => {
    const u = user(req);
    if (!u) return emulatorErrorPage(404, 'Unknown user', 'There is no test user with this ID.');
    const richMenu = store.richMenus.shownTo(u.userId);
    return chatPage({
      ...state(u),
      accountName: ctx.accountName,
      deliveries: deliveriesOf(webhook.deliveries, u.userId),
      ...(richMenu ? { richMenu } : {}),
      ...(req.query.get('note') ? { flash: req.query.get('note')! } : {}),
    });
  });

  app.get('/_emulator/chat/:userId/state', (req) => {
    const u = user(req);
    return u ? json(200, state(u)) : json(404, { message: 'Unknown user' });
  });

  /** Runs a user action; answers JSON, or 303 back to the chat with a note when nothing was sent. */
  const act =
    (run: (userId: string, req: AppRequest) => Promise<ActionResult> | AppResponse) =>
    async (req: AppRequest): Promise<AppResponse> => {
      const u = user(req);
      if (!u) return json(404, { message: 'Unknown user' });
      const result = await run(u.userId, req);
      if ('status' in result) return result;
      if (wantsJson(req)) return json(200, { friend: store.isFriend(u.userId), ...result });
      const note =
        'skipped' in result
          ? result.skipped
          : result.delivery.status === undefined || result.delivery.status >= 300
            ? `The webhook delivery failed (${result.delivery.status ?? result.delivery.error}).`
            : undefined;
      return redirect(`${chatPath(u.userId)}${note ? `?${new URLSearchParams({ note })}` : ''}`, 303);
    };

  app.post(
    '/_emulator/chat/:userId/follow',
    act((userId) => actions.follow(userId)),
  );
  app.post(
    '/_emulator/chat/:userId/unfollow',
    act((userId) => actions.unfollow(userId)),
  );
  app.post(
    '/_emulator/chat/:userId/message',
    act((userId, req) => {
      const text = field(req, 'text')?.trim() ?? '';
      if (!text) return json(400, { message: 'text is required' });
      return actions.sendText(userId, text);
    }),
  );
  app.post(
    '/_emulator/chat/:userId/postback',
    act((userId, req) => {
      const data = field(req, 'data') ?? '';
      if (!data) return json(400, { message: 'data is required' });
      return actions.postback(userId, data, field(req, 'displayText') || undefined);
    }),
  );

  app.get('/_emulator/richmenu/:richMenuId/image', (req) => {
    const image = store.richMenus.menus.get(req.params.richMenuId ?? '')?.image;
    if (!image) return json(404, { message: 'Not found' });
    return { status: 200, headers: { 'content-type': image.contentType }, body: image.bytes };
  });
  app.get('/_emulator/richmenus', () =>
    json(200, {
      defaultRichMenuId: store.richMenus.defaultId ?? null,
      richmenus: [...store.richMenus.menus.values()].map((menu) => ({
        richMenuId: menu.richMenuId,
        name: menu.name,
        chatBarText: menu.chatBarText,
        hasImage: menu.image !== undefined,
      })),
      perUser: Object.fromEntries(store.richMenus.perUser),
    }),
  );

  app.get('/_emulator/webhook/deliveries', () => json(200, { deliveries: webhook.deliveries }));
  app.post('/_emulator/webhook/redeliver', async (req) => {
    const id = Number(field(req, 'id'));
    const result = await webhook.redeliver(id);
    if (result === 'unknown') return json(404, { message: 'Unknown delivery' });
    if (result === 'succeeded')
      return json(409, { message: 'The delivery succeeded; LINE does not redeliver it' });
    if (wantsJson(req)) return json(200, { delivery: result });
    const userId = result.events[0]?.source.userId;
    return redirect(userId ? chatPath(userId) : '/_emulator/webhook/deliveries', 303);
  });
  app.post('/_emulator/webhook/url', (req) => {
    const url = field(req, 'url');
    if (url !== undefined && !/^https?:\/\//.test(url)) return json(400, { message: 'url must be http(s)' });
    store.webhookUrl = url;
    return json(200, { url: store.webhookUrl ?? null });
  });
  app.post('/_emulator/webhook/verify', async () => json(200, { delivery: await webhook.verify() }));

  app.get('/_emulator/messaging/sent', () => json(200, { sent: store.sent }));
  app.post('/_emulator/messaging/rate-limit', (req) => {
    const count = isRecord(req.json) ? req.json.count : undefined;
    if (count === null) store.rateLimitRemaining = 0;
    else if (count === 'always') store.rateLimitRemaining = Infinity;
    else if (typeof count === 'number' && Number.isInteger(count) && count >= 0)
      store.rateLimitRemaining = count;
    else return json(400, { message: 'count must be a non-negative integer, "always" or null' });
    return json(200, {
      remaining: Number.isFinite(store.rateLimitRemaining) ? store.rateLimitRemaining : 'always',
    });
  });

  app.post('/_emulator/messaging/fault', (req) => {
    const body = isRecord(req.json) ? req.json : {};
    const endpoint = body.endpoint;
    if (typeof endpoint !== 'string' || !BOT_ENDPOINTS.includes(endpoint as BotEndpoint))
      return json(400, { message: `endpoint must be one of ${BOT_ENDPOINTS.join(', ')}` });
    if (body.clear === true) {
      store.setFault(endpoint as BotEndpoint, null);
      return json(200, { endpoint, fault: null });
    }
    const count = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value > 0;
    const fault: BotFault = {};
    if (body.delayMs !== undefined) {
      if (!count(body.delayMs) || (body.delayMs as number) > 60_000)
        return json(400, { message: 'delayMs must be an integer from 1 to 60000' });
      fault.delayMs = body.delayMs as number;
    }
    if (body.status !== undefined) {
      if (![500, 502, 503, 504].includes(body.status as number))
        return json(400, { message: 'status must be 500, 502, 503 or 504' });
      fault.status = body.status as BotFault['status'];
    }
    if (body.times !== undefined) {
      if (!count(body.times)) return json(400, { message: 'times must be a positive integer' });
      fault.times = body.times as number;
    }
    if (fault.delayMs === undefined && fault.status === undefined)
      return json(400, { message: 'give delayMs, status or both (or clear: true)' });
    store.setFault(endpoint as BotEndpoint, fault);
    return json(200, { endpoint, fault });
  });
}

const BOT_ENDPOINTS: readonly BotEndpoint[] = [
  'linkToken',
  'reply',
  'push',
  'multicast',
  'botInfo',
  'richMenu',
  'audienceCreate',
  'audienceAdd',
  'audienceGet',
  'audienceList',
];
