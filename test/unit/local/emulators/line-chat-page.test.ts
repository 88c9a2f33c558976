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

let line: LinePlatformEmulator;
let receiver: WebhookReceiver;
let channelToken: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  line = await startLinePlatformEmulator({ channels: [LOGIN], webhookUrl: receiver.url });
  const res = await fetch(`${line.url}/oauth2/v3/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: MESSAGING_CHANNEL_ID,
      client_secret: MESSAGING_CHANNEL_SECRET,
    }),
  });
  channelToken = ((await res.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await line.close();
  await receiver.close();
});

async function push(messages: unknown[]): Promise<void> {
  const res = await fetch(`${line.url}/v2/bot/message/push`, {
    method: 'POST',
    headers: { authorization: `Bearer ${channelToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ to: SATO.userId, messages }),
  });
  expect(res.status).toBe(200);
}

async function page(userId = SATO.userId): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${line.url}/_emulator/chat/${userId}`);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('GET /_emulator/chat/{userId}', () => {
  it('before following: not a friend, Follow enabled, Block disabled', async () => {
    const { status, text } = await page();
    expect(status).toBe(200);
    expect(text).toContain('id="friend-status" class="badge not-friend">not a friend');
    expect(text).toMatch(/<button id="follow" class="primary">/);
    expect(text).toMatch(/<button id="unfollow" class="danger" disabled>/);
  });

  it('shows the account’s messages with working buttons, everything escaped', async () => {
    await line.messaging.follow(SATO.userId);
    await push([
      {
        type: 'text',
        text: 'Link here: https://service.example/account-link/start?linkToken=abc&x=1 <b>now</b>',
      },
      {
        type: 'template',
        altText: 'Link your account',
        template: {
          type: 'buttons',
          title: 'Member account',
          text: 'You can unlink at any time.',
          actions: [
            { type: 'uri', label: 'Link', uri: 'https://service.example/account-link/start?linkToken=abc' },
            { type: 'postback', label: 'Later', data: 'action=later', displayText: 'Later' },
            { type: 'message', label: 'Help', text: 'help' },
            { type: 'uri', label: 'Call', uri: 'tel:0312345678' },
          ],
        },
      },
      {
        type: 'flex',
        altText: 'flex',
        contents: {
          type: 'bubble',
          body: { type: 'box', layout: 'vertical', contents: [{ type: 'text', text: 'Flex body' }] },
          footer: {
            type: 'box',
            layout: 'vertical',
            contents: [
              { type: 'button', action: { type: 'uri', label: 'Open', uri: 'https://service.example/f' } },
            ],
          },
        },
      },
    ]);
    const { text, headers } = await page();
    expect(text).toContain('id="friend-status" class="badge friend">friend');
    expect(text).toContain(
      '<a href="https://service.example/account-link/start?linkToken&#61;abc&#38;x&#61;1" rel="noreferrer">',
    );
    expect(text).toContain('&#60;b&#62;now&#60;/b&#62;');
    expect(text).not.toContain('<b>now</b>');
    expect(text).toContain(
      '<a class="action" data-action="uri" href="https://service.example/account-link/start?linkToken&#61;abc" rel="noreferrer">Link</a>',
    );
    expect(text).toContain('<input type="hidden" name="data" value="action&#61;later">');
    expect(text).toContain('data-action="message">Help</button>');
    expect(text).toContain('<button class="action" disabled title="tel:0312345678">Call</button>');
    expect(text).toContain('<p>Flex body</p>');
    expect(text).toContain('href="https://service.example/f"');
    expect(text).toContain('You can unlink at any time.');
    expect(headers.get('content-security-policy')).toMatch(/script-src 'nonce-[^']+'/);
  });

  it('a note after an action is shown; the state is JSON too', async () => {
    const res = await fetch(`${line.url}/_emulator/chat/${SATO.userId}?note=${encodeURIComponent('<x>')}`);
    expect(await res.text()).toContain('<p class="flash" id="flash">&#60;x&#62;</p>');
    const state = (await (await fetch(`${line.url}/_emulator/chat/${SATO.userId}/state`)).json()) as {
      friend: boolean;
      entries: Array<{ from: string }>;
    };
    expect(state.friend).toBe(true);
    expect(state.entries.map((e) => e.from)).toEqual(['system', 'bot', 'bot', 'bot']);
  });

  it('shows quick replies as postback buttons under the latest message only, as LINE does', async () => {
    const question = {
      type: 'text',
      text: 'Unlink your LINE account?',
      quickReply: {
        items: [
          {
            type: 'action',
            action: { type: 'postback', label: 'Yes', data: 'a=unlink&answer=yes', displayText: 'Yes' },
          },
          {
            type: 'action',
            action: { type: 'postback', label: 'No', data: 'a=unlink&answer=no', displayText: 'No' },
          },
        ],
      },
    };
    await push([question]);
    const asked = (await page()).text;
    expect(asked).toContain('<div class="actions quick">');
    expect(asked).toContain('<input type="hidden" name="data" value="a&#61;unlink&#38;answer&#61;yes">');
    expect(asked).toContain('data-action="postback">No</button>');

    // Tapping "Yes" posts the form: LINE's postback event with the data, the label as the user's message.
    const before = receiver.received.length;
    const tapped = await fetch(`${line.url}/_emulator/chat/${SATO.userId}/postback`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ data: 'a=unlink&answer=yes', displayText: 'Yes' }),
      redirect: 'manual',
    });
    expect(tapped.status).toBe(303);
    const event = receiver.received.slice(before)[0]!.body.events[0]!;
    expect(event).toMatchObject({ type: 'postback', postback: { data: 'a=unlink&answer=yes' } });
    expect(event.replyToken).toEqual(expect.any(String));
    // Another message came after the question: its quick reply is gone.
    const after = (await page()).text;
    expect(after).toContain('Unlink your LINE account?');
    expect(after).not.toContain('<div class="actions quick">');
  });

  it('lists the webhook deliveries for the user, failed ones with a Redeliver button', async () => {
    receiver.status = 503;
    await line.messaging.sendText(SATO.userId, 'hello');
    receiver.status = 200;
    const { text } = await page();
    expect(text).toMatch(
      /<li class="failed">#\d+ message → HTTP 503<form method="post" action="\/_emulator\/webhook\/redeliver">/,
    );
  });

  it('unknown users: 404 page and JSON', async () => {
    expect((await page('U0')).status).toBe(404);
    expect((await fetch(`${line.url}/_emulator/chat/U0/state`)).status).toBe(404);
  });

  it('GET /_emulator/chat lists every test user’s chat', async () => {
    const text = await (await fetch(`${line.url}/_emulator/chat`)).text();
    for (const user of DEFAULT_LINE_USERS) expect(text).toContain(`href="/_emulator/chat/${user.userId}"`);
  });
});
