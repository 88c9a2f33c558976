import { createHmac } from 'node:crypto';
import {
  startLinePlatformEmulator,
  type LinePlatformEmulator,
} from '../../../../functions/local/emulators/line-platform-emulator.js';
import { lineSignature } from '../../../../functions/local/emulators/line-webhook-sender.js';
import {
  BOT_USER_ID,
  DEFAULT_LINE_USERS,
  MESSAGING_CHANNEL_SECRET,
} from '../../../../functions/local/emulators/test-identities.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../support/webhook-receiver.js';

const LOGIN = { channelId: '1234567890', channelSecret: 'aaaabbbbccccddddeeeeffff00001111' };
const [SATO, SUZUKI] = DEFAULT_LINE_USERS as [
  (typeof DEFAULT_LINE_USERS)[number],
  (typeof DEFAULT_LINE_USERS)[number],
];
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

let line: LinePlatformEmulator;
let receiver: WebhookReceiver;
let now = T0;

beforeEach(async () => {
  now = T0;
  receiver = await startWebhookReceiver();
  line = await startLinePlatformEmulator({
    channels: [LOGIN],
    webhookUrl: receiver.url,
    clock: { now: () => new Date(now) },
  });
});

afterEach(async () => {
  await line.close();
  await receiver.close();
});

function post(path: string, json?: unknown): Promise<Response> {
  return fetch(`${line.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(json ?? {}),
  });
}

function postForm(path: string, form: Record<string, string> = {}): Promise<Response> {
  return fetch(`${line.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

const lastEvent = () => receiver.received.at(-1)!.body.events[0]!;

describe('webhook deliveries', () => {
  it('are signed over the exact body bytes with the messaging channel secret', async () => {
    await line.messaging.follow(SATO.userId);
    const got = receiver.received[0]!;
    const expected = createHmac('sha256', MESSAGING_CHANNEL_SECRET).update(got.rawBody).digest('base64');
    expect(got.headers['x-line-signature']).toBe(expected);
    expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got.body.destination).toBe(BOT_USER_ID);
    // Any other secret gives another signature.
    expect(lineSignature('0'.repeat(32), got.rawBody.toString())).not.toBe(expected);
  });

  it('non-ASCII text is signed as UTF-8 bytes', async () => {
    await line.messaging.follow(SATO.userId);
    await line.messaging.sendText(SATO.userId, '連携したい 🙂');
    const got = receiver.received.at(-1)!;
    expect(got.headers['x-line-signature']).toBe(
      createHmac('sha256', MESSAGING_CHANNEL_SECRET).update(got.rawBody).digest('base64'),
    );
    expect((lastEvent().message as { text: string }).text).toBe('連携したい 🙂');
  });

  it('LINE’s URL verification sends no events', async () => {
    const res = await post('/_emulator/webhook/verify');
    expect(res.status).toBe(200);
    expect(receiver.received[0]!.body).toEqual({ destination: BOT_USER_ID, events: [] });
  });

  it('without a webhook URL the delivery is recorded as failed', async () => {
    line.messaging.webhookUrl = undefined;
    const result = await line.messaging.follow(SATO.userId);
    expect('delivery' in result && result.delivery.error).toBe('No webhook URL is set.');
    expect(line.messaging.isFriend(SATO.userId)).toBe(true);
    const set = await post('/_emulator/webhook/url', { url: receiver.url });
    expect(await set.json()).toEqual({ url: receiver.url });
    expect((await post('/_emulator/webhook/url', { url: 'ftp://x' })).status).toBe(400);
  });

  it('a failed delivery is redelivered with the same webhookEventId and isRedelivery: true', async () => {
    receiver.status = 500;
    const result = await line.messaging.follow(SATO.userId);
    if (!('delivery' in result)) throw new Error('no delivery');
    expect(result.delivery.status).toBe(500);
    receiver.status = 200;
    const res = await post('/_emulator/webhook/redeliver', { id: String(result.delivery.id) });
    expect(res.status).toBe(200);
    const [first, second] = receiver.received.map((r) => r.body.events[0]!);
    expect(second!.webhookEventId).toBe(first!.webhookEventId);
    expect(first!.deliveryContext).toEqual({ isRedelivery: false });
    expect(second!.deliveryContext).toEqual({ isRedelivery: true });
    // A delivery the service accepted is not redelivered; an unknown one is 404.
    const again = await post('/_emulator/webhook/redeliver', { id: String(result.delivery.id + 1) });
    expect(again.status).toBe(409);
    expect((await post('/_emulator/webhook/redeliver', { id: '999' })).status).toBe(404);
    const list = (await (await fetch(`${line.url}/_emulator/webhook/deliveries`)).json()) as {
      deliveries: Array<{ status: number; redelivery: boolean }>;
    };
    expect(list.deliveries.map((d) => [d.status, d.redelivery])).toEqual([
      [500, false],
      [200, true],
    ]);
  });
});

describe('crafted deliveries (late, batched or repeated events)', () => {
  it('buildEvent + deliver send events as given, in one signed body, changing no state', async () => {
    const late = line.messaging.buildEvent('unfollow', SATO.userId, { timestamp: T0 - 60_000 });
    const follow = line.messaging.buildEvent('follow', SATO.userId, {
      replyToken: line.messaging.replyToken(SATO.userId),
      follow: { isUnblocked: false },
    });
    expect(late.webhookEventId).toMatch(ULID);
    const delivery = await line.messaging.deliver([follow, late]);
    expect(delivery.status).toBe(200);
    expect(receiver.received[0]!.body.events.map((e) => [e.type, e.timestamp])).toEqual([
      ['follow', T0],
      ['unfollow', T0 - 60_000],
    ]);
    expect(receiver.received[0]!.headers['x-line-signature']).toBe(
      lineSignature(MESSAGING_CHANNEL_SECRET, receiver.received[0]!.rawBody.toString('utf8')),
    );
    expect(line.messaging.isFriend(SATO.userId)).toBe(false);
  });
});

describe('follow and unfollow', () => {
  it('follow: friend, a follow event with LINE’s fields; again: nothing', async () => {
    const res = await post(`/_emulator/chat/${SATO.userId}/follow`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { friend: boolean }).friend).toBe(true);
    expect(lastEvent()).toEqual({
      type: 'follow',
      mode: 'active',
      timestamp: T0,
      source: { type: 'user', userId: SATO.userId },
      webhookEventId: expect.stringMatching(ULID),
      deliveryContext: { isRedelivery: false },
      replyToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      follow: { isUnblocked: false },
    });
    const again = (await (await post(`/_emulator/chat/${SATO.userId}/follow`)).json()) as { skipped: string };
    expect(again.skipped).toBe('Already a friend.');
    expect(receiver.received).toHaveLength(1);
  });

  it('unfollow: no reply token; following again is an unblock', async () => {
    await line.messaging.follow(SATO.userId);
    now += 1000;
    await post(`/_emulator/chat/${SATO.userId}/unfollow`);
    expect(line.messaging.isFriend(SATO.userId)).toBe(false);
    expect(lastEvent()).toEqual({
      type: 'unfollow',
      mode: 'active',
      timestamp: T0 + 1000,
      source: { type: 'user', userId: SATO.userId },
      webhookEventId: expect.stringMatching(ULID),
      deliveryContext: { isRedelivery: false },
    });
    const twice = (await (await post(`/_emulator/chat/${SATO.userId}/unfollow`)).json()) as {
      skipped: string;
    };
    expect(twice.skipped).toBe('Not a friend.');
    await line.messaging.follow(SATO.userId);
    expect(lastEvent().follow).toEqual({ isUnblocked: true });
    expect(receiver.received).toHaveLength(3);
  });

  it('from the chat page’s form: 303 back to the chat', async () => {
    const res = await postForm(`/_emulator/chat/${SATO.userId}/follow`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/_emulator/chat/${SATO.userId}`);
    receiver.status = 500;
    const failed = await postForm(`/_emulator/chat/${SATO.userId}/unfollow`);
    const note = new URL(failed.headers.get('location')!, line.url).searchParams.get('note');
    expect(note).toBe('The webhook delivery failed (500).');
  });

  it('unknown users are 404', async () => {
    expect((await post('/_emulator/chat/U0000/follow')).status).toBe(404);
  });
});

describe('messages and postbacks from the user', () => {
  it('send text → a message event with a reply token', async () => {
    await line.messaging.follow(SATO.userId);
    const res = await postForm(`/_emulator/chat/${SATO.userId}/message`, { text: 'link' });
    expect(res.status).toBe(303);
    expect(lastEvent()).toMatchObject({
      type: 'message',
      replyToken: expect.any(String),
      message: { type: 'text', id: expect.stringMatching(/^\d{18}$/), text: 'link' },
    });
    expect(line.messaging.chat(SATO.userId).at(-1)).toMatchObject({ from: 'user', text: 'link' });
  });

  it('a postback sends its data; its displayText shows as the user’s message', async () => {
    await line.messaging.follow(SATO.userId);
    await post(`/_emulator/chat/${SATO.userId}/postback`, { data: 'action=link', displayText: 'Link' });
    expect(lastEvent()).toMatchObject({ type: 'postback', postback: { data: 'action=link' } });
    expect(line.messaging.chat(SATO.userId).at(-1)).toMatchObject({ from: 'user', text: 'Link' });
  });

  it('nothing is sent for a user who is not a friend, or for empty input', async () => {
    const res = await post(`/_emulator/chat/${SUZUKI.userId}/message`, { text: 'hello' });
    expect(((await res.json()) as { skipped: string }).skipped).toMatch(/friend first/);
    expect((await post(`/_emulator/chat/${SUZUKI.userId}/message`, { text: ' ' })).status).toBe(400);
    expect((await post(`/_emulator/chat/${SUZUKI.userId}/postback`, {})).status).toBe(400);
    expect(receiver.received).toHaveLength(0);
  });
});
