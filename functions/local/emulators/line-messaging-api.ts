/**
 * The emulated LINE Messaging API and the two LINE Login endpoints that go with it:
 *
 * - `POST /oauth2/v3/token` — stateless channel access tokens from a channel's ID and secret
 *   (https://developers.line.biz/en/reference/messaging-api/#issue-stateless-channel-access-token),
 *   for the messaging channel and for LINE Login channels (deauthorize needs the latter);
 * - `GET /v2/bot/info` — the bot's user ID (the `destination` of its webhooks), basic ID and name
 *   (https://developers.line.biz/en/reference/messaging-api/#get-bot-info);
 * - `POST /v2/bot/user/{userId}/linkToken` — link tokens for users who are friends
 *   (https://developers.line.biz/en/reference/messaging-api/#issue-link-token);
 * - `POST /v2/bot/message/reply|push|multicast` — validated like LINE, recorded (a reply token
 *   answers once: a second reply with it is 400 `Invalid reply token`), with
 *   `X-Line-Retry-Key` (https://developers.line.biz/en/docs/messaging-api/retrying-api-request/)
 *   and a switchable 429 (https://developers.line.biz/en/reference/messaging-api/#rate-limits);
 * - `GET /friendship/v1/status` — with a user's LINE Login access token
 *   (https://developers.line.biz/en/reference/line-login/#get-friendship-status);
 * - `POST /user/v1/deauthorize` — with a LINE Login channel access token
 *   (https://developers.line.biz/en/reference/line-login/#deauthorize);
 * - rich menus, their images (the data API's endpoints, on this same origin), the default menu
 *   and per-user links, one by one or in bulk (line-rich-menus.ts).
 * - the audience endpoints of line-audience-api.ts.
 *
 * Each bot endpoint can be made slow or failing for tests ({@link LineMessagingStore.setFault}).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { oauthError } from './authorization-code-flow.js';
import { registerAudienceApi, type LineAudienceStore } from './line-audience-api.js';
import {
  DROP_CONNECTION,
  headerValue,
  json,
  type AppRequest,
  type AppResponse,
  type Handler,
  type HandlerResult,
  type HttpApp,
} from './http-app.js';
import type { BotEndpoint, LineMessagingStore, SendKind, SentMessage } from './line-messaging-store.js';
import {
  checkMulticast,
  checkPush,
  checkReply,
  isRecord,
  USER_ID,
  type ErrorDetail,
} from './line-message-validation.js';
import { registerRichMenuApi } from './line-rich-menus.js';

/** What the Messaging API needs from the rest of the emulator. */
export interface MessagingApiContext {
  store: LineMessagingStore;
  /** The Official Account's display name (`GET /v2/bot/info`). */
  accountName: string;
  /** The secret of a LINE Login channel, undefined when there is no such channel. */
  loginChannelSecret(channelId: string): string | undefined;
  /** A user's LINE Login access token: its user, channel and scope; 'expired'; or undefined. */
  userAccessToken(
    token: string,
  ): { userId: string; channelId: string; scope: string } | 'expired' | undefined;
  /** Revokes every access token of `userId` for `channelId` (deauthorization). */
  revokeUserAccessTokens(userId: string, channelId: string): void;
  /** The channel's audiences (line-audience-api.ts). */
  audiences?: LineAudienceStore;
}

/** A deauthorization the emulator performed. */
export interface Deauthorization {
  userId: string;
  channelId: string;
  at: number;
}

const AUTH_FAILED = {
  message: 'Authentication failed. Confirm that the access token in the authorization header is valid.',
};
const RETRY_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function bearer(req: AppRequest): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(headerValue(req.headers.authorization) ?? '')?.[1];
}

function badBody(details: ErrorDetail[]): AppResponse {
  return json(400, { message: `The request body has ${details.length} error(s)`, details });
}

/** Every LINE API response carries an `x-line-request-id`; a handler may set its own. */
function withRequestId(
  handler: (req: AppRequest, requestId: string) => HandlerResult | Promise<HandlerResult>,
): Handler {
  return async (req) => {
    const requestId = randomUUID();
    const res = await handler(req, requestId);
    if (res === DROP_CONNECTION) return res;
    res.headers = { 'x-line-request-id': requestId, ...res.headers };
    return res;
  };
}

/** Registers the routes above on `app`; returns the deauthorizations list for tests. */
export function registerMessagingApi(
  app: HttpApp,
  ctx: MessagingApiContext,
): { deauthorizations: Deauthorization[] } {
  const { store } = ctx;
  const deauthorizations: Deauthorization[] = [];

  /**
   * 401 unless the request carries a live token of the messaging channel; 429 in rate-limit mode;
   * then the endpoint's fault, if a test set one (a delay, a 5xx with nothing done).
   */
  const bot = (
    endpoint: BotEndpoint,
    handler: (req: AppRequest, requestId: string) => AppResponse | Promise<AppResponse>,
  ): Handler => {
    return withRequestId(async (req, requestId) => {
      const token = bearer(req);
      const channelId = token ? store.channelOfToken(token) : undefined;
      if (channelId !== store.channel.channelId) return json(401, AUTH_FAILED);
      if (store.takeRateLimit()) return json(429, { message: 'Too many requests' });
      const fault = store.takeFault(endpoint);
      if (fault?.delayMs) {
        try {
          await sleep(fault.delayMs, undefined, { signal: req.signal });
        } catch {
          // The client gave up (its timeout) or the emulator closed: nothing is done, as for a
          // request LINE never finished.
          return DROP_CONNECTION;
        }
      }
      if (fault?.status) return json(fault.status, { message: 'Internal server error' });
      return handler(req, requestId);
    });
  };

  app.post(
    '/oauth2/v3/token',
    withRequestId((req) => {
      if (req.form.get('grant_type') !== 'client_credentials') {
        return oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials.');
      }
      const clientId = req.form.get('client_id') ?? '';
      const secret =
        clientId === store.channel.channelId ? store.channel.channelSecret : ctx.loginChannelSecret(clientId);
      if (!clientId || secret === undefined || req.form.get('client_secret') !== secret) {
        return oauthError(400, 'invalid_client', 'Invalid client_id or client_secret.');
      }
      const { token, expiresInSec } = store.issueChannelToken(clientId);
      return json(200, { token_type: 'Bearer', access_token: token, expires_in: expiresInSec });
    }),
  );

  app.get(
    '/v2/bot/info',
    bot('botInfo', () =>
      json(200, {
        userId: store.channel.botUserId,
        basicId: `@${store.channel.botUserId.slice(1, 8)}`,
        displayName: ctx.accountName,
        chatMode: 'bot',
        markAsReadMode: 'auto',
      }),
    ),
  );

  app.post(
    '/v2/bot/user/:userId/linkToken',
    bot('linkToken', (req) => {
      const userId = req.params.userId ?? '';
      if (!USER_ID.test(userId))
        return json(400, { message: "The value for the 'userId' parameter is invalid" });
      if (!store.isFriend(userId)) {
        return json(400, { message: 'The user has not added the LINE Official Account as a friend' });
      }
      return json(200, { linkToken: store.issueLinkToken(userId) });
    }),
  );

  /** Sends `messages` to each of `to` and answers like LINE; handles the retry key. */
  const send = (
    req: AppRequest,
    requestId: string,
    kind: SendKind,
    check: (body: unknown) => ErrorDetail[],
    recipients: (body: Record<string, unknown>) => string[] | AppResponse,
  ): AppResponse => {
    const retryKey = headerValue(req.headers['x-line-retry-key']);
    if (retryKey !== undefined) {
      if (kind === 'reply') return json(400, { message: 'The retry key cannot be used with reply messages' });
      if (!RETRY_KEY.test(retryKey)) return json(400, { message: 'The retry key must be a UUID' });
      const accepted = store.acceptedRequest(store.channel.channelId, retryKey);
      if (accepted) {
        return json(
          409,
          {
            message: 'The retry key is already accepted',
            ...(kind === 'push' ? { sentMessages: accepted.sentMessages } : {}),
          },
          { 'x-line-accepted-request-id': accepted.requestId },
        );
      }
    }
    const details = check(req.json);
    if (details.length > 0) return badBody(details);
    const body = req.json as Record<string, unknown>;
    const to = recipients(body);
    if (!Array.isArray(to)) return to;
    const messages = body.messages as Array<Record<string, unknown>>;
    const sent: SentMessage[] = [];
    for (const user of new Set(to)) {
      for (const message of messages) {
        sent.push(
          store.recordSent({ kind, requestId, to: user, message, ...(retryKey ? { retryKey } : {}) }),
        );
      }
    }
    const sentMessages = sent.slice(0, messages.length).map(({ id, quoteToken }) => ({ id, quoteToken }));
    if (retryKey) {
      store.acceptRetryKey(store.channel.channelId, retryKey, {
        requestId,
        acceptedAt: store.now(),
        sentMessages,
      });
    }
    return json(200, kind === 'multicast' ? {} : { sentMessages });
  };

  app.post(
    '/v2/bot/message/reply',
    bot('reply', (req, requestId) =>
      send(req, requestId, 'reply', checkReply, (body) => {
        const userId = store.useReplyToken(String(body.replyToken));
        return userId ? [userId] : json(400, { message: 'Invalid reply token' });
      }),
    ),
  );
  app.post(
    '/v2/bot/message/push',
    bot('push', (req, requestId) => send(req, requestId, 'push', checkPush, (body) => [String(body.to)])),
  );
  app.post(
    '/v2/bot/message/multicast',
    bot('multicast', (req, requestId) =>
      send(req, requestId, 'multicast', checkMulticast, (body) => body.to as string[]),
    ),
  );

  if (ctx.audiences) registerAudienceApi(app, ctx.audiences, bot);

  app.get(
    '/friendship/v1/status',
    withRequestId((req) => {
      const token = bearer(req);
      const record = token ? ctx.userAccessToken(token) : undefined;
      if (record === undefined || record === 'expired') return json(401, AUTH_FAILED);
      if (!record.scope.split(' ').includes('profile')) {
        return json(403, { message: 'The access token does not have the profile scope' });
      }
      return json(200, { friendFlag: store.isFriend(record.userId) });
    }),
  );

  app.post(
    '/user/v1/deauthorize',
    withRequestId((req) => {
      const token = bearer(req);
      const channelId = token ? store.channelOfToken(token) : undefined;
      if (!channelId || channelId === 'expired' || ctx.loginChannelSecret(channelId) === undefined) {
        return json(401, AUTH_FAILED);
      }
      const body = req.json;
      if (!isRecord(body) || typeof body.userAccessToken !== 'string' || body.userAccessToken === '') {
        return badBody([{ property: 'userAccessToken', message: 'must be specified' }]);
      }
      const user = ctx.userAccessToken(body.userAccessToken);
      if (user === undefined || user === 'expired' || user.channelId !== channelId) {
        return json(400, { message: 'The user access token is invalid or was not issued for this channel' });
      }
      ctx.revokeUserAccessTokens(user.userId, channelId);
      deauthorizations.push({ userId: user.userId, channelId, at: store.now() });
      return { status: 204 };
    }),
  );

  registerRichMenuApi(
    app,
    (handler) => bot('richMenu', handler),
    store.richMenus,
    (userId) => store.knows(userId),
  );

  return { deauthorizations };
}
