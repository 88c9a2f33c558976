import {
  startLinePlatformEmulator,
  type LinePlatformEmulator,
} from '../../../../functions/local/emulators/line-platform-emulator.js';
import { DEFAULT_LINE_USERS } from '../../../../functions/local/emulators/test-identities.js';
import { openAuthorize, requestIdOf } from '../../../support/oauth-browser.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../support/webhook-receiver.js';

const CHANNEL = { channelId: '1234567890', channelSecret: 'aaaabbbbccccddddeeeeffff00001111' };
const CALLBACK = 'https://client.example.com/auth/line/callback';
const [SATO, SUZUKI] = DEFAULT_LINE_USERS as [
  (typeof DEFAULT_LINE_USERS)[number],
  (typeof DEFAULT_LINE_USERS)[number],
];

let line: LinePlatformEmulator;
let receiver: WebhookReceiver;

beforeEach(async () => {
  receiver = await startWebhookReceiver();
  line = await startLinePlatformEmulator({ channels: [CHANNEL], webhookUrl: receiver.url });
});

afterEach(async () => {
  await line.close();
  await receiver.close();
});

function authorizeUrl(extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: CHANNEL.channelId,
    redirect_uri: CALLBACK,
    state: 'state-1',
    scope: 'openid profile',
    ...extra,
  });
  return `${line.url}/oauth2/v2.1/authorize?${query}`;
}

/** Opens the consent page, posts the decision with `form`; returns the callback URL. */
async function login(
  extra: Record<string, string>,
  form: Record<string, string>,
): Promise<{ page: string; back: URL }> {
  const page = await openAuthorize(authorizeUrl(extra));
  const res = await fetch(`${line.url}/oauth2/v2.1/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request_id: requestIdOf(page.html), decision: 'allow', ...form }).toString(),
  });
  expect(res.status).toBe(302);
  return { page: page.html, back: new URL(res.headers.get('location')!) };
}

describe('web login with bot_prompt', () => {
  it('the consent page offers "add as friend"; ticked → friend, follow event, friendship_status_changed=true', async () => {
    const { page, back } = await login(
      { bot_prompt: 'aggressive' },
      { subject: SATO.userId, add_friend: 'on' },
    );
    expect(page).toContain('name="add_friend" value="on" checked');
    expect(back.searchParams.get('code')).toEqual(expect.any(String));
    expect(back.searchParams.get('friendship_status_changed')).toBe('true');
    expect(line.messaging.isFriend(SATO.userId)).toBe(true);
    expect(receiver.received.map((r) => r.body.events[0]!.type)).toEqual(['follow']);
  });

  it('unticked, or already a friend → friendship_status_changed=false, no event', async () => {
    let { back } = await login({ bot_prompt: 'normal' }, { subject: SUZUKI.userId });
    expect(back.searchParams.get('friendship_status_changed')).toBe('false');
    expect(line.messaging.isFriend(SUZUKI.userId)).toBe(false);
    await line.messaging.follow(SATO.userId);
    ({ back } = await login({ bot_prompt: 'normal' }, { subject: SATO.userId, add_friend: 'on' }));
    expect(back.searchParams.get('friendship_status_changed')).toBe('false');
    expect(receiver.received).toHaveLength(1);
  });

  it('without bot_prompt: no checkbox, no friendship_status_changed', async () => {
    const { page, back } = await login({}, { subject: SATO.userId, add_friend: 'on' });
    expect(page).not.toContain('add_friend');
    expect(back.searchParams.has('friendship_status_changed')).toBe(false);
    expect(line.messaging.isFriend(SATO.userId)).toBe(false);
  });

  it('auto-login with bot_prompt: friendship_status_changed=false', async () => {
    line.setAutoLogin(SATO.userId);
    const page = await openAuthorize(authorizeUrl({ bot_prompt: 'normal' }));
    expect(page.status).toBe(302);
    expect(new URL(page.location!).searchParams.get('friendship_status_changed')).toBe('false');
  });
});
