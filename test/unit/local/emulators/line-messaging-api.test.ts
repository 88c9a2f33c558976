import { randomUUID } from 'node:crypto';
import {
  startLinePlatformEmulator,
  type LinePlatformEmulator,
} from '../../../../functions/local/emulators/line-platform-emulator.js';
import {
  BOT_USER_ID,
  DEFAULT_LINE_USERS,
  MESSAGING_CHANNEL_ID,
  MESSAGING_CHANNEL_SECRET,
} from '../../../../functions/local/emulators/test-identities.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../support/webhook-receiver.js';

const LOGIN = { channelId: '1234567890', channelSecret: 'aaaabbbbccccddddeeeeffff00001111' };
const OTHER_LOGIN = { channelId: '2000000001', channelSecret: '0123456789abcdef0123456789abcdef' };
const [SATO, SUZUKI, TAKAHASHI] = DEFAULT_LINE_USERS as [
  (typeof DEFAULT_LINE_USERS)[number],
  (typeof DEFAULT_LINE_USERS)[number],
  (typeof DEFAULT_LINE_USERS)[number],
];
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

let line: LinePlatformEmulator;
let receiver: WebhookReceiver;
let now = T0;

beforeEach(async () => {
  now = T0;
  receiver = await startWebhookReceiver();
  line = await startLinePlatformEmulator({
    channels: [LOGIN, OTHER_LOGIN],
    webhookUrl: receiver.url,
    clock: { now: () => new Date(now) },
  });
});

afterEach(async () => {
  await line.close();
  await receiver.close();
});

interface Res<T> {
  status: number;
  body: T;
  headers: Headers;
}

async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: {
    token?: string;
    json?: unknown;
    form?: Record<string, string>;
    headers?: Record<string, string>;
  } = {},
): Promise<Res<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  }
  const res = await fetch(`${line.url}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

async function channelToken(
  channelId = MESSAGING_CHANNEL_ID,
  secret = MESSAGING_CHANNEL_SECRET,
): Promise<string> {
  const res = await call<{ access_token: string }>('POST', '/oauth2/v3/token', {
    form: { grant_type: 'client_credentials', client_id: channelId, client_secret: secret },
  });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

const text = (t: string) => ({ type: 'text', text: t });

describe('POST /oauth2/v3/token (stateless channel access token)', () => {
  it('issues a 15-minute Bearer token to the messaging channel', async () => {
    const res = await call('POST', '/oauth2/v3/token', {
      form: {
        grant_type: 'client_credentials',
        client_id: MESSAGING_CHANNEL_ID,
        client_secret: MESSAGING_CHANNEL_SECRET,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ token_type: 'Bearer', access_token: expect.any(String), expires_in: 900 });
    expect(res.headers.get('x-line-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('issues tokens to LINE Login channels too', async () => {
    expect(await channelToken(LOGIN.channelId, LOGIN.channelSecret)).toEqual(expect.any(String));
  });

  it('refuses a wrong secret, an unknown channel and another grant type', async () => {
    const form = { grant_type: 'client_credentials', client_id: MESSAGING_CHANNEL_ID, client_secret: 'x' };
    let res = await call('POST', '/oauth2/v3/token', { form });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_client');
    res = await call('POST', '/oauth2/v3/token', {
      form: { ...form, client_id: '999', client_secret: MESSAGING_CHANNEL_SECRET },
    });
    expect(res.body.error).toBe('invalid_client');
    res = await call('POST', '/oauth2/v3/token', {
      form: { ...form, grant_type: 'password', client_secret: MESSAGING_CHANNEL_SECRET },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unsupported_grant_type');
  });

  it('tokens expire after 15 minutes', async () => {
    const token = await channelToken();
    await line.messaging.follow(SATO.userId);
    now += 15 * 60_000 - 1;
    expect(
      (
        await call('POST', '/v2/bot/message/push', {
          token,
          json: { to: SATO.userId, messages: [text('a')] },
        })
      ).status,
    ).toBe(200);
    now += 1;
    const res = await call('POST', '/v2/bot/message/push', {
      token,
      json: { to: SATO.userId, messages: [text('b')] },
    });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/^Authentication failed/);
  });
});

describe('POST /v2/bot/user/{userId}/linkToken', () => {
  it('issues a 32-character link token for a friend', async () => {
    await line.messaging.follow(SATO.userId);
    const res = await call<{ linkToken: string }>('POST', `/v2/bot/user/${SATO.userId}/linkToken`, {
      token: await channelToken(),
    });
    expect(res.status).toBe(200);
    expect(res.body.linkToken).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it('refuses users who are not friends and malformed user IDs', async () => {
    const token = await channelToken();
    let res = await call('POST', `/v2/bot/user/${SUZUKI.userId}/linkToken`, { token });
    expect(res.status).toBe(400);
    await line.messaging.follow(SUZUKI.userId);
    await line.messaging.unfollow(SUZUKI.userId);
    res = await call('POST', `/v2/bot/user/${SUZUKI.userId}/linkToken`, { token });
    expect(res.status).toBe(400);
    res = await call('POST', '/v2/bot/user/not-a-user/linkToken', { token });
    expect(res.status).toBe(400);
  });

  it('needs the messaging channel token: none, unknown or a login channel token → 401', async () => {
    await line.messaging.follow(SATO.userId);
    const path = `/v2/bot/user/${SATO.userId}/linkToken`;
    expect((await call('POST', path)).status).toBe(401);
    expect((await call('POST', path, { token: 'forged' })).status).toBe(401);
    expect(
      (await call('POST', path, { token: await channelToken(LOGIN.channelId, LOGIN.channelSecret) })).status,
    ).toBe(401);
  });
});

describe('POST /v2/bot/message/reply', () => {
  async function followAndGetReplyToken(userId: string): Promise<string> {
    await line.messaging.follow(userId);
    const event = receiver.received.at(-1)!.body.events[0]!;
    return event.replyToken as string;
  }

  it('answers the event’s user once, and the message appears in the chat', async () => {
    const token = await channelToken();
    const replyToken = await followAndGetReplyToken(SATO.userId);
    const res = await call<{ sentMessages: Array<{ id: string; quoteToken: string }> }>(
      'POST',
      '/v2/bot/message/reply',
      { token, json: { replyToken, messages: [text('Welcome!'), text('Link your account')] } },
    );
    expect(res.status).toBe(200);
    expect(res.body.sentMessages).toHaveLength(2);
    expect(res.body.sentMessages[0]!.id).toMatch(/^\d{18}$/);
    const chat = line.messaging.chat(SATO.userId).filter((e) => e.from === 'bot');
    expect(chat.map((e) => (e.from === 'bot' ? e.sent.message.text : ''))).toEqual([
      'Welcome!',
      'Link your account',
    ]);
    expect(line.messaging.sent.every((s) => s.kind === 'reply' && s.to === SATO.userId)).toBe(true);

    const again = await call('POST', '/v2/bot/message/reply', {
      token,
      json: { replyToken, messages: [text('x')] },
    });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ message: 'Invalid reply token' });
    expect(line.messaging.sent).toHaveLength(2);
  });

  it('a reply token expires after a minute', async () => {
    const token = await channelToken();
    const replyToken = await followAndGetReplyToken(SATO.userId);
    now += 60_001;
    const res = await call('POST', '/v2/bot/message/reply', {
      token,
      json: { replyToken, messages: [text('late')] },
    });
    expect(res.status).toBe(400);
    expect(line.messaging.sent).toHaveLength(0);
  });

  it('validates the body like LINE and sends nothing', async () => {
    const token = await channelToken();
    const replyToken = await followAndGetReplyToken(SATO.userId);
    const six = Array.from({ length: 6 }, (_, i) => text(`m${i}`));
    let res = await call<{ message: string; details: Array<{ property: string }> }>(
      'POST',
      '/v2/bot/message/reply',
      {
        token,
        json: { replyToken, messages: six },
      },
    );
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('The request body has 1 error(s)');
    expect(res.body.details[0]!.property).toBe('messages');
    res = await call('POST', '/v2/bot/message/reply', {
      token,
      json: { replyToken, messages: [{ type: 'text', text: '' }, { type: 'nope' }] },
    });
    expect(res.body.details.map((d) => d.property)).toEqual(['messages[0].text', 'messages[1].type']);
    res = await call('POST', '/v2/bot/message/reply', { token, json: { messages: [text('a')] } });
    expect(res.body.details.map((d) => d.property)).toEqual(['replyToken']);
    // The reply token was not used by the refused requests.
    expect(line.messaging.sent).toHaveLength(0);
    res = await call('POST', '/v2/bot/message/reply', {
      token,
      json: { replyToken, messages: [text('ok')] },
    });
    expect(res.status).toBe(200);
  });

  it('refuses X-Line-Retry-Key, which LINE supports only for push, multicast, narrowcast and broadcast', async () => {
    const token = await channelToken();
    const replyToken = await followAndGetReplyToken(SATO.userId);
    const res = await call('POST', '/v2/bot/message/reply', {
      token,
      json: { replyToken, messages: [text('a')] },
      headers: { 'x-line-retry-key': randomUUID() },
    });
    expect(res.status).toBe(400);
  });
});

describe('template messages are validated', () => {
  it('accepts a buttons template with a URI action and refuses a broken one', async () => {
    const token = await channelToken();
    await line.messaging.follow(SATO.userId);
    const buttons = (actions: unknown[]) => ({
      type: 'template',
      altText: 'Link your account',
      template: { type: 'buttons', text: 'Link your member account', actions },
    });
    let res = await call('POST', '/v2/bot/message/push', {
      token,
      json: {
        to: SATO.userId,
        messages: [buttons([{ type: 'uri', label: 'Link', uri: 'https://example.com/x' }])],
      },
    });
    expect(res.status).toBe(200);
    res = await call<{ details: Array<{ property: string }> }>('POST', '/v2/bot/message/push', {
      token,
      json: {
        to: SATO.userId,
        messages: [
          buttons([{ type: 'uri', label: 'A label that is far too long', uri: 'javascript:alert(1)' }]),
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(
      (res.body as unknown as { details: Array<{ property: string }> }).details.map((d) => d.property),
    ).toEqual(['messages[0].template.actions[0].label', 'messages[0].template.actions[0].uri']);
  });
});

describe('POST /v2/bot/message/push', () => {
  it('sends to a friend; a non-friend gets nothing in the chat but LINE answers 200', async () => {
    const token = await channelToken();
    await line.messaging.follow(SATO.userId);
    const ok = await call('POST', '/v2/bot/message/push', {
      token,
      json: { to: SATO.userId, messages: [text('hi')] },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.sentMessages).toHaveLength(1);
    const stranger = await call('POST', '/v2/bot/message/push', {
      token,
      json: { to: SUZUKI.userId, messages: [text('hi')] },
    });
    expect(stranger.status).toBe(200);
    expect(line.messaging.sent.map((s) => [s.to, s.delivered])).toEqual([
      [SATO.userId, true],
      [SUZUKI.userId, false],
    ]);
    expect(line.messaging.chat(SUZUKI.userId)).toEqual([]);
  });

  it('the same X-Line-Retry-Key again → 409 with x-line-accepted-request-id, not sent twice', async () => {
    const token = await channelToken();
    await line.messaging.follow(SATO.userId);
    const key = randomUUID();
    const init = {
      token,
      json: { to: SATO.userId, messages: [text('once')] },
      headers: { 'x-line-retry-key': key },
    };
    const first = await call('POST', '/v2/bot/message/push', init);
    expect(first.status).toBe(200);
    const second = await call('POST', '/v2/bot/message/push', init);
    expect(second.status).toBe(409);
    expect(second.body).toEqual({
      message: 'The retry key is already accepted',
      sentMessages: first.body.sentMessages,
    });
    expect(second.headers.get('x-line-accepted-request-id')).toBe(first.headers.get('x-line-request-id'));
    expect(line.messaging.sent).toHaveLength(1);
    // After 24 hours the key is forgotten.
    now += 24 * 60 * 60_000;
    const fresh = { ...init, token: await channelToken() };
    expect((await call('POST', '/v2/bot/message/push', fresh)).status).toBe(200);
    expect(line.messaging.sent).toHaveLength(2);
  });

  it('a refused request does not use up its retry key; a malformed key → 400', async () => {
    const token = await channelToken();
    await line.messaging.follow(SATO.userId);
    const key = randomUUID();
    const bad = await call('POST', '/v2/bot/message/push', {
      token,
      json: { to: SATO.userId, messages: [] },
      headers: { 'x-line-retry-key': key },
    });
    expect(bad.status).toBe(400);
    const good = await call('POST', '/v2/bot/message/push', {
      token,
      json: { to: SATO.userId, messages: [text('x')] },
      headers: { 'x-line-retry-key': key },
    });
    expect(good.status).toBe(200);
    const malformed = await call('POST', '/v2/bot/message/push', {
      token,
      json: { to: SATO.userId, messages: [text('x')] },
      headers: { 'x-line-retry-key': 'not-a-uuid' },
    });
    expect(malformed.status).toBe(400);
  });

  it('refuses a malformed recipient', async () => {
    const res = await call('POST', '/v2/bot/message/push', {
      token: await channelToken(),
      json: { to: 'Uxyz', messages: [text('x')] },
    });
    expect(res.status).toBe(400);
    expect((res.body.details as Array<{ property: string }>)[0]!.property).toBe('to');
  });
});

describe('POST /v2/bot/message/multicast', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `U${i.toString(16).padStart(32, '0')}`);

  it('sends to up to 500 users and answers {}', async () => {
    const token = await channelToken();
    await line.messaging.follow(SATO.userId);
    await line.messaging.follow(TAKAHASHI.userId);
    const res = await call('POST', '/v2/bot/message/multicast', {
      token,
      json: { to: [SATO.userId, TAKAHASHI.userId, SUZUKI.userId], messages: [text('news')] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect(line.messaging.sent.filter((s) => s.delivered).map((s) => s.to)).toEqual([
      SATO.userId,
      TAKAHASHI.userId,
    ]);
    const max = await call('POST', '/v2/bot/message/multicast', {
      token,
      json: { to: ids(500), messages: [text('x')] },
    });
    expect(max.status).toBe(200);
  });

  it('refuses 501 recipients, none, or a malformed one', async () => {
    const token = await channelToken();
    for (const to of [ids(501), [], [SATO.userId, 'bad']]) {
      const res = await call('POST', '/v2/bot/message/multicast', {
        token,
        json: { to, messages: [text('x')] },
      });
      expect(res.status).toBe(400);
    }
    expect(line.messaging.sent).toHaveLength(0);
  });

  it('retry key: 409 the second time, without sentMessages, sent once', async () => {
    const token = await channelToken();
    await line.messaging.follow(SATO.userId);
    const init = {
      token,
      json: { to: [SATO.userId], messages: [text('once')] },
      headers: { 'x-line-retry-key': randomUUID() },
    };
    const first = await call('POST', '/v2/bot/message/multicast', init);
    const second = await call('POST', '/v2/bot/message/multicast', init);
    expect([first.status, second.status]).toEqual([200, 409]);
    expect(second.body).toEqual({ message: 'The retry key is already accepted' });
    expect(second.headers.get('x-line-accepted-request-id')).toBe(first.headers.get('x-line-request-id'));
    expect(line.messaging.chat(SATO.userId).filter((e) => e.from === 'bot')).toHaveLength(1);
  });
});

describe('429 mode', () => {
  it('refuses the next N requests, or all until switched off, and sends nothing meanwhile', async () => {
    const token = await channelToken();
    await line.messaging.follow(SATO.userId);
    const push = () =>
      call('POST', '/v2/bot/message/push', { token, json: { to: SATO.userId, messages: [text('x')] } });
    line.messaging.setRateLimit(1);
    const limited = await push();
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ message: 'Too many requests' });
    expect((await push()).status).toBe(200);

    expect(
      (await call('POST', '/_emulator/messaging/rate-limit', { json: { count: 'always' } })).status,
    ).toBe(200);
    expect((await push()).status).toBe(429);
    expect((await push()).status).toBe(429);
    await call('POST', '/_emulator/messaging/rate-limit', { json: { count: null } });
    expect((await push()).status).toBe(200);
    expect((await call('POST', '/_emulator/messaging/rate-limit', { json: { count: -1 } })).status).toBe(400);
    expect(line.messaging.sent).toHaveLength(2);
    expect((await call<{ sent: unknown[] }>('GET', '/_emulator/messaging/sent')).body.sent).toHaveLength(2);
  });
});

describe('GET /v2/bot/info', () => {
  it("answers the bot's user ID (the webhook's destination), basic ID, name and modes", async () => {
    const res = await call('GET', '/v2/bot/info', { token: await channelToken() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      userId: BOT_USER_ID,
      basicId: expect.stringMatching(/^@\w+$/),
      displayName: expect.any(String),
      chatMode: 'bot',
      markAsReadMode: 'auto',
    });
    expect(res.body.userId).toBe(line.messaging.channel.botUserId);
    expect(res.headers.get('x-line-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('needs the messaging channel token', async () => {
    expect((await call('GET', '/v2/bot/info')).status).toBe(401);
    const login = await channelToken(LOGIN.channelId, LOGIN.channelSecret);
    expect((await call('GET', '/v2/bot/info', { token: login })).status).toBe(401);
  });
});

describe('faults of the bot endpoints', () => {
  it('a slow link-token API answers normally after the delay', async () => {
    const token = await channelToken();
    await line.messaging.follow(SATO.userId);
    line.messaging.setFault('linkToken', { delayMs: 300, times: 1 });
    const started = performance.now();
    const slow = await call('POST', `/v2/bot/user/${SATO.userId}/linkToken`, { token });
    expect(slow.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    const next = performance.now();
    expect((await call('POST', `/v2/bot/user/${SATO.userId}/linkToken`, { token })).status).toBe(200);
    expect(performance.now() - next).toBeLessThan(250);
  });

  it('a failing reply answers 500 with nothing sent and the reply token still unused', async () => {
    const token = await channelToken();
    await line.messaging.follow(SATO.userId);
    const replyToken = receiver.received.at(-1)!.body.events[0]!.replyToken as string;
    const reply = () =>
      call('POST', '/v2/bot/message/reply', { token, json: { replyToken, messages: [text('hi')] } });
    line.messaging.setFault('reply', { status: 500, times: 2 });
    expect((await reply()).status).toBe(500);
    expect((await reply()).status).toBe(500);
    expect(line.messaging.sent).toHaveLength(0);
    expect((await reply()).status).toBe(200);
    expect(line.messaging.sent).toHaveLength(1);
    expect((await reply()).body).toEqual({ message: 'Invalid reply token' });
  });

  it('a fault lasts until cleared when no count is given; other endpoints are not affected', async () => {
    const token = await channelToken();
    line.messaging.setFault('botInfo', { status: 503 });
    expect((await call('GET', '/v2/bot/info', { token })).status).toBe(503);
    expect((await call('GET', '/v2/bot/info', { token })).status).toBe(503);
    await line.messaging.follow(SATO.userId);
    expect((await call('POST', `/v2/bot/user/${SATO.userId}/linkToken`, { token })).status).toBe(200);
    line.messaging.setFault('botInfo', null);
    expect((await call('GET', '/v2/bot/info', { token })).status).toBe(200);
  });
});

describe('POST /_emulator/messaging/fault', () => {
  it('sets a fault of one endpoint over HTTP, refuses a bad one, and clears it', async () => {
    const token = await channelToken();
    const set = await call('POST', '/_emulator/messaging/fault', {
      json: { endpoint: 'botInfo', status: 503, times: 1 },
    });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ endpoint: 'botInfo', fault: { status: 503, times: 1 } });
    expect((await call('GET', '/v2/bot/info', { token })).status).toBe(503);
    expect((await call('GET', '/v2/bot/info', { token })).status).toBe(200);

    for (const bad of [
      { endpoint: 'profile', status: 500 },
      { endpoint: 'reply' },
      { endpoint: 'reply', status: 404 },
      { endpoint: 'reply', delayMs: -1 },
      { endpoint: 'reply', status: 500, times: 0 },
    ]) {
      expect((await call('POST', '/_emulator/messaging/fault', { json: bad })).status).toBe(400);
    }
    await call('POST', '/_emulator/messaging/fault', { json: { endpoint: 'botInfo', status: 500 } });
    expect((await call('GET', '/v2/bot/info', { token })).status).toBe(500);
    await call('POST', '/_emulator/messaging/fault', { json: { endpoint: 'botInfo', clear: true } });
    expect((await call('GET', '/v2/bot/info', { token })).status).toBe(200);
  });
});

describe('GET /friendship/v1/status', () => {
  it('tells whether the access token’s user has the account as a friend', async () => {
    const token = await line.mintAccessToken({ userId: SATO.userId, channelId: LOGIN.channelId });
    expect((await call('GET', '/friendship/v1/status', { token })).body).toEqual({ friendFlag: false });
    await line.messaging.follow(SATO.userId);
    expect((await call('GET', '/friendship/v1/status', { token })).body).toEqual({ friendFlag: true });
    await line.messaging.unfollow(SATO.userId);
    expect((await call('GET', '/friendship/v1/status', { token })).body).toEqual({ friendFlag: false });
  });

  it('401 without a live user access token; 403 without the profile scope', async () => {
    expect((await call('GET', '/friendship/v1/status')).status).toBe(401);
    expect((await call('GET', '/friendship/v1/status', { token: await channelToken() })).status).toBe(401);
    const token = await line.mintAccessToken({ userId: SATO.userId, expiresInSec: 60 });
    now += 60_000;
    expect((await call('GET', '/friendship/v1/status', { token })).status).toBe(401);
    const openidOnly = await line.mintAccessToken({ userId: SATO.userId, scope: 'openid' });
    expect((await call('GET', '/friendship/v1/status', { token: openidOnly })).status).toBe(403);
  });
});

describe('POST /user/v1/deauthorize', () => {
  it('revokes the user’s access tokens for the login channel → 204', async () => {
    const userToken = await line.mintAccessToken({ userId: SATO.userId, channelId: LOGIN.channelId });
    const res = await call('POST', '/user/v1/deauthorize', {
      token: await channelToken(LOGIN.channelId, LOGIN.channelSecret),
      json: { userAccessToken: userToken },
    });
    expect(res.status).toBe(204);
    expect(line.messaging.deauthorizations).toEqual([
      { userId: SATO.userId, channelId: LOGIN.channelId, at: now },
    ]);
    // The token is gone: verify and friendship status refuse it.
    expect(
      (await call('GET', `/oauth2/v2.1/verify?access_token=${encodeURIComponent(userToken)}`)).status,
    ).toBe(400);
    expect((await call('GET', '/friendship/v1/status', { token: userToken })).status).toBe(401);
  });

  it('needs a LINE Login channel token and that channel’s user token', async () => {
    const userToken = await line.mintAccessToken({ userId: SATO.userId, channelId: LOGIN.channelId });
    const json = { userAccessToken: userToken };
    expect((await call('POST', '/user/v1/deauthorize', { json })).status).toBe(401);
    expect((await call('POST', '/user/v1/deauthorize', { token: await channelToken(), json })).status).toBe(
      401,
    );
    const other = await channelToken(OTHER_LOGIN.channelId, OTHER_LOGIN.channelSecret);
    expect((await call('POST', '/user/v1/deauthorize', { token: other, json })).status).toBe(400);
    const login = await channelToken(LOGIN.channelId, LOGIN.channelSecret);
    expect((await call('POST', '/user/v1/deauthorize', { token: login, json: {} })).status).toBe(400);
    expect(line.messaging.deauthorizations).toEqual([]);
  });
});

describe('test identities', () => {
  it('the messaging channel and bot user have LINE’s shapes', () => {
    expect(MESSAGING_CHANNEL_ID).toMatch(/^\d{10}$/);
    expect(MESSAGING_CHANNEL_SECRET).toMatch(/^[0-9a-f]{32}$/);
    expect(BOT_USER_ID).toMatch(/^U[0-9a-f]{32}$/);
    expect(line.messaging.channel).toEqual({
      channelId: MESSAGING_CHANNEL_ID,
      channelSecret: MESSAGING_CHANNEL_SECRET,
      botUserId: BOT_USER_ID,
    });
  });
});
