import {
  startLinePlatformEmulator,
  type LinePlatformEmulator,
} from '../../../../functions/local/emulators/line-platform-emulator.js';
import {
  DEFAULT_LINE_USERS,
  MESSAGING_CHANNEL_ID,
  MESSAGING_CHANNEL_SECRET,
} from '../../../../functions/local/emulators/test-identities.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../support/webhook-receiver.js';

const LOGIN = { channelId: '1234567890', channelSecret: 'aaaabbbbccccddddeeeeffff00001111' };
const SATO = DEFAULT_LINE_USERS[0]!;
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const NONCE = 'bm9uY2Utb2YtdGhlLXNlcnZpY2UtMTI4Yml0cw';

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

async function linkTokenFor(userId: string): Promise<string> {
  await line.messaging.follow(userId);
  const tokenRes = await fetch(`${line.url}/oauth2/v3/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: MESSAGING_CHANNEL_ID,
      client_secret: MESSAGING_CHANNEL_SECRET,
    }),
  });
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  const res = await fetch(`${line.url}/v2/bot/user/${userId}/linkToken`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access_token}` },
  });
  return ((await res.json()) as { linkToken: string }).linkToken;
}

const dialog = (params: Record<string, string>) =>
  fetch(`${line.url}/dialog/bot/accountLink?${new URLSearchParams(params)}`, { redirect: 'manual' });

const decide = (linkToken: string, decision: 'confirm' | 'cancel', nonce = NONCE) =>
  fetch(`${line.url}/dialog/bot/accountLink`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ linkToken, nonce, decision }).toString(),
    redirect: 'manual',
  });

const accountLinkEvents = () =>
  receiver.received.flatMap((r) => r.body.events).filter((e) => e.type === 'accountLink');

describe('GET /dialog/bot/accountLink', () => {
  it('shows the confirmation for the link token’s user, escaped', async () => {
    const linkToken = await linkTokenFor(SATO.userId);
    const res = await dialog({ linkToken, nonce: NONCE });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('Sato Hanako (test)');
    expect(page).toContain(`value="${NONCE}"`);
    expect(page).toContain('id="confirm"');
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self'");
    expect(accountLinkEvents()).toHaveLength(0);
  });

  it('an unknown link token or a missing/short nonce is an error page, and sends nothing', async () => {
    const linkToken = await linkTokenFor(SATO.userId);
    expect((await dialog({ linkToken: 'x'.repeat(32), nonce: NONCE })).status).toBe(400);
    expect((await dialog({ linkToken })).status).toBe(400);
    expect((await dialog({ linkToken, nonce: 'short' })).status).toBe(400);
    expect((await dialog({ linkToken, nonce: 'n'.repeat(256) })).status).toBe(400);
    expect((await dialog({ nonce: NONCE })).status).toBe(400);
    expect(accountLinkEvents()).toHaveLength(0);
  });
});

describe('POST /dialog/bot/accountLink', () => {
  it('confirm → a signed accountLink event ok with the nonce and a reply token → the chat', async () => {
    const linkToken = await linkTokenFor(SATO.userId);
    now += 5_000;
    const res = await decide(linkToken, 'confirm');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/_emulator/chat/${SATO.userId}`);
    expect(accountLinkEvents()).toEqual([
      {
        type: 'accountLink',
        mode: 'active',
        timestamp: T0 + 5_000,
        source: { type: 'user', userId: SATO.userId },
        webhookEventId: expect.any(String),
        deliveryContext: { isRedelivery: false },
        replyToken: expect.any(String),
        link: { result: 'ok', nonce: NONCE },
      },
    ]);
    expect(line.messaging.chat(SATO.userId).at(-1)).toMatchObject({
      from: 'system',
      text: 'You linked your LINE account.',
    });
  });

  it('a used link token → failed, without a reply token (GET ends at once, POST too)', async () => {
    const linkToken = await linkTokenFor(SATO.userId);
    await decide(linkToken, 'confirm');
    const again = await dialog({ linkToken, nonce: NONCE });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(`/_emulator/chat/${SATO.userId}`);
    await decide(linkToken, 'confirm');
    const events = accountLinkEvents();
    expect(events.map((e) => e.link)).toEqual([
      { result: 'ok', nonce: NONCE },
      { result: 'failed', nonce: NONCE },
      { result: 'failed', nonce: NONCE },
    ]);
    expect(events[1]).not.toHaveProperty('replyToken');
  });

  it('a link token expires after 10 minutes → failed', async () => {
    const linkToken = await linkTokenFor(SATO.userId);
    const page = await dialog({ linkToken, nonce: NONCE });
    expect(page.status).toBe(200);
    now += 10 * 60_000;
    await decide(linkToken, 'confirm');
    expect(accountLinkEvents().map((e) => e.link)).toEqual([{ result: 'failed', nonce: NONCE }]);
    expect(line.messaging.chat(SATO.userId).at(-1)).toMatchObject({
      text: 'Account linking failed. The link token has expired.',
    });
  });

  it('a link token still works just before 10 minutes', async () => {
    const linkToken = await linkTokenFor(SATO.userId);
    now += 10 * 60_000 - 1;
    await decide(linkToken, 'confirm');
    expect(accountLinkEvents().map((e) => (e.link as { result: string }).result)).toEqual(['ok']);
  });

  it('cancel sends nothing and leaves the token unused', async () => {
    const linkToken = await linkTokenFor(SATO.userId);
    const res = await decide(linkToken, 'cancel');
    expect(res.status).toBe(303);
    expect(accountLinkEvents()).toHaveLength(0);
    await decide(linkToken, 'confirm');
    expect(accountLinkEvents().map((e) => (e.link as { result: string }).result)).toEqual(['ok']);
  });
});
