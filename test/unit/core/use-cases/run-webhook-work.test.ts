import { DEFAULT_BOT_TEXTS } from '../../../../functions/core/bot-texts.js';
import type { WebhookReplyWork } from '../../../../functions/core/webhook-events.js';
import {
  runWebhookWork,
  type WebhookWorkPorts,
} from '../../../../functions/core/use-cases/run-webhook-work.js';
import { frozenClock, InMemoryAuditLog, InMemoryLinkRepository } from '../../../support/fakes.js';
import {
  FakeMessagingApi,
  InMemoryLinkTokenDirectory,
  InMemoryNonceStore,
  InMemoryWebhookEventLog,
} from '../../../support/messaging-fakes.js';

const NOW = '2026-12-06T09:00:00.000Z';
const SATO = `U${'a'.repeat(32)}`;
const START = 'https://api.example.com/account-link/start';

function setup(settings: Partial<WebhookWorkPorts['settings']> = { accountLinkStartUrl: START }) {
  const clock = frozenClock(NOW);
  const events = new InMemoryWebhookEventLog({
    links: new InMemoryLinkRepository(),
    audit: new InMemoryAuditLog(),
    nonces: new InMemoryNonceStore(),
    clock,
  });
  const ports = {
    events,
    messaging: new FakeMessagingApi(),
    linkTokens: new InMemoryLinkTokenDirectory(),
    clock,
    settings: { linkTokenTtlSeconds: 600, texts: DEFAULT_BOT_TEXTS.en, ...settings },
  };
  return ports;
}

const offer: WebhookReplyWork = {
  kind: 'offer-link',
  webhookEventId: 'e-1',
  lineUserId: SATO,
  replyToken: 'r-1',
};
const reply: WebhookReplyWork = {
  kind: 'reply',
  webhookEventId: 'e-2',
  replyToken: 'r-2',
  messages: [{ type: 'text', text: 'Your accounts are now linked.' }],
};

async function claimed(ports: ReturnType<typeof setup>, work: WebhookReplyWork) {
  const expiresAt = Date.parse(NOW) / 1000 + 3600;
  await ports.events.commit({ webhookEventId: work.webhookEventId, expiresAt, outcome: 'x', work }, []);
}

describe('runWebhookWork', () => {
  it('offers the link: issues a link token, remembers its user, replies with the URL, marks the work done', async () => {
    const ports = setup();
    await claimed(ports, offer);
    expect(await runWebhookWork(offer, ports)).toBe('replied');
    expect(ports.messaging.linkTokens).toEqual([{ userId: SATO, token: 'linktoken1' }]);
    expect(await ports.linkTokens.find('linktoken1', ports.clock.now())).toBe(SATO);
    expect(JSON.stringify(ports.messaging.replies)).toContain(`${START}?linkToken=linktoken1`);
    expect((await ports.events.find('e-1'))!.workDone).toBe(true);
    expect((await ports.events.find('e-1'))!.work).toBeUndefined();
  });

  it('does work that is already done, or whose claim is gone, not at all', async () => {
    const ports = setup();
    await claimed(ports, reply);
    expect(await runWebhookWork(reply, ports)).toBe('replied');
    expect(await runWebhookWork(reply, ports)).toBe('already-done');
    expect(await runWebhookWork({ ...reply, webhookEventId: 'never-claimed' }, ports)).toBe('claim-gone');
    expect(ports.messaging.replies).toHaveLength(1);
  });

  it('throws while LINE is unavailable (the queue retries), and records a refusal as final', async () => {
    const ports = setup();
    await claimed(ports, reply);
    ports.messaging.fail = 'reply';
    await expect(runWebhookWork(reply, ports)).rejects.toMatchObject({ code: 'line-unavailable' });
    expect((await ports.events.find('e-2'))!.workDone).toBe(false);
    ports.messaging.fail = 'reply-refused';
    expect(await runWebhookWork(reply, ports)).toBe('refused');
    expect((await ports.events.find('e-2'))!.workDone).toBe(true);
    ports.messaging.fail = 'none';
    expect(await runWebhookWork(reply, ports)).toBe('already-done');
    expect(ports.messaging.replies).toEqual([]);
  });

  it('offers nothing where pattern 4 is not deployed', async () => {
    const ports = setup({});
    await claimed(ports, offer);
    expect(await runWebhookWork(offer, ports)).toBe('refused');
    expect(ports.messaging.linkTokens).toEqual([]);
  });
});
