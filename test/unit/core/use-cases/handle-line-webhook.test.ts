import type { WebhookEvent } from '../../../../functions/core/messaging.js';
import {
  handleLineWebhook,
  UNLINK_NOTICE,
  type LineWebhookPorts,
} from '../../../../functions/core/use-cases/handle-line-webhook.js';
import { frozenClock, InMemoryAuditLog, InMemoryLinkRepository } from '../../../support/fakes.js';
import {
  FakeMessagingApi,
  InMemoryFriendshipStore,
  InMemoryNonceStore,
  InMemoryWebhookEventLog,
} from '../../../support/messaging-fakes.js';

const NOW = '2026-11-30T09:00:00.000Z';
const T = Date.parse(NOW);
const SATO = `U${'a'.repeat(32)}`;
const SUZUKI = `U${'b'.repeat(32)}`;
const NONCE = 'n'.repeat(32);

function setup(settings: Partial<LineWebhookPorts['settings']> = {}) {
  const links = new InMemoryLinkRepository();
  const ports = {
    links,
    audit: new InMemoryAuditLog(),
    clock: frozenClock(NOW),
    events: new InMemoryWebhookEventLog(),
    friendship: new InMemoryFriendshipStore(links),
    nonces: new InMemoryNonceStore(),
    messaging: new FakeMessagingApi(),
    settings: {
      accountLinkStartUrl: 'https://api.example.com/account-link/start',
      linkKeywords: ['link'],
      linkPostbackData: ['action=link'],
      unlinkOnUnfollow: false,
      webhookEventTtlSeconds: 3600,
      nonceTtlSeconds: 600,
      ...settings,
    },
  };
  return ports;
}

let seq = 0;
const common = (userId: string, timestamp: number, id = `E${++seq}`) => ({
  webhookEventId: id,
  timestamp,
  userId,
});
const follow = (userId: string, ts: number, id?: string): WebhookEvent => ({
  type: 'follow',
  common: common(userId, ts, id),
  replyToken: `r${seq}`,
});
const unfollow = (userId: string, ts: number, id?: string): WebhookEvent => ({
  type: 'unfollow',
  common: common(userId, ts, id),
});
const accountLink = (userId: string, nonce: string, result = 'ok', id?: string): WebhookEvent => ({
  type: 'accountLink',
  common: common(userId, T, id),
  replyToken: `r${seq}`,
  result,
  nonce,
});
const link = (lineUserId: string, companyUserId: string) => ({
  lineUserId,
  companyUserId,
  method: 'oidc' as const,
  linkedAt: NOW,
});

describe('handleLineWebhook', () => {
  it('offers the linking URL with the unlink notice on follow, and records the friendship', async () => {
    const ports = setup();
    const [outcome] = await handleLineWebhook([follow(SATO, T)], ports);
    expect(outcome!.outcome).toBe('link-offered');
    expect(ports.messaging.linkTokens).toEqual([{ userId: SATO, token: 'linktoken1' }]);
    const message = ports.messaging.replies[0]!.messages[0]!;
    expect(message.type).toBe('template');
    const template = (message as Extract<typeof message, { type: 'template' }>).template;
    expect(template.actions[0]!.uri).toBe('https://api.example.com/account-link/start?linkToken=linktoken1');
    expect(template.text).toContain(UNLINK_NOTICE);
    expect(template.text.length).toBeLessThanOrEqual(160);
    expect(ports.friendship.known.get(SATO)).toEqual({ friend: true, at: NOW });
    expect(ports.audit.events).toEqual([{ type: 'follow', at: NOW, lineUserId: SATO }]);
  });

  it('sets friend on an existing link without offering it again', async () => {
    const ports = setup();
    await ports.links.create(link(SATO, 'M-1'));
    await handleLineWebhook([follow(SATO, T)], ports);
    expect(ports.messaging.replies).toEqual([]);
    expect(ports.links.byLine.get(SATO)).toMatchObject({ friend: true, friendUpdatedAt: NOW });
  });

  it('applies a redelivered event once', async () => {
    const ports = setup();
    const event = follow(SATO, T, 'same-id');
    await handleLineWebhook([event], ports);
    const [again] = await handleLineWebhook([event], ports);
    expect(again!.outcome).toBe('duplicate');
    expect(ports.messaging.linkTokens).toHaveLength(1);
    expect(ports.audit.events).toHaveLength(1);
  });

  it('applies the events of one body in event-time order, and ignores an older event delivered late', async () => {
    const ports = setup();
    await ports.links.create(link(SATO, 'M-1'));
    // Listed out of order in the body: the unfollow (T+2) is newer than the follow (T+1).
    await handleLineWebhook([unfollow(SATO, T + 2000), follow(SATO, T + 1000)], ports);
    expect(ports.links.byLine.get(SATO)).toMatchObject({ friend: false });
    // A follow older than the unfollow, delivered later.
    const [late] = await handleLineWebhook([follow(SATO, T + 1500)], ports);
    expect(late!.outcome).toBe('stale');
    expect(ports.links.byLine.get(SATO)).toMatchObject({ friend: false });
  });

  it('keeps the link on unfollow by default, and unlinks when the setting says so', async () => {
    const keep = setup();
    await keep.links.create(link(SATO, 'M-1'));
    await handleLineWebhook([unfollow(SATO, T)], keep);
    expect(keep.links.byLine.get(SATO)).toMatchObject({ friend: false });

    const unlink = setup({ unlinkOnUnfollow: true });
    await unlink.links.create(link(SATO, 'M-1'));
    const [outcome] = await handleLineWebhook([unfollow(SATO, T)], unlink);
    expect(outcome!.outcome).toBe('unlinked');
    expect(unlink.links.byLine.get(SATO)).toBeUndefined();
  });

  it('offers the linking URL on the keyword and the postback, not on other text', async () => {
    const ports = setup();
    const text = (t: string): WebhookEvent => ({
      type: 'message',
      common: common(SATO, T),
      replyToken: 'r',
      text: t,
    });
    const outcomes = await handleLineWebhook(
      [
        text('hello'),
        text('  LINK '),
        { type: 'postback', common: common(SATO, T), replyToken: 'r', data: 'action=link' },
        { type: 'postback', common: common(SATO, T), replyToken: 'r', data: 'other' },
      ],
      ports,
    );
    expect(outcomes.map((o) => o.outcome)).toEqual(['ignored', 'link-offered', 'link-offered', 'ignored']);
  });

  it('offers no linking URL where pattern 4 is not deployed, but still records the friendship', async () => {
    const ports = setup({ accountLinkStartUrl: undefined });
    const outcomes = await handleLineWebhook(
      [
        follow(SATO, T),
        { type: 'message', common: common(SATO, T + 1), replyToken: 'r', text: 'link' },
        { type: 'postback', common: common(SATO, T + 2), replyToken: 'r', data: 'action=link' },
      ],
      ports,
    );
    expect(outcomes.map((o) => o.outcome)).toEqual(['friend-updated', 'ignored', 'ignored']);
    expect(ports.messaging.linkTokens).toEqual([]);
    expect(ports.messaging.replies).toEqual([]);
    expect(ports.friendship.known.get(SATO)).toEqual({ friend: true, at: NOW });
  });

  it('links with an unexpired nonce through the link use case (method account-link), once', async () => {
    const ports = setup();
    await ports.friendship.record(SATO, true, '2026-11-30T08:00:00.000Z');
    await ports.nonces.create({ nonce: NONCE, companyUserId: 'M-1', expiresAt: T / 1000 + 60 });
    const [linked] = await handleLineWebhook([accountLink(SATO, NONCE)], ports);
    expect(linked!.outcome).toBe('linked');
    expect(ports.links.byLine.get(SATO)).toMatchObject({
      companyUserId: 'M-1',
      method: 'account-link',
      friend: true,
    });
    expect(ports.messaging.replies.at(-1)!.messages[0]).toEqual({
      type: 'text',
      text: `Your accounts are now linked. ${UNLINK_NOTICE}`,
    });
    // Reused nonce (another event): nothing.
    const [reused] = await handleLineWebhook([accountLink(SUZUKI, NONCE)], ports);
    expect(reused!.outcome).toBe('nonce-rejected');
    expect(ports.links.byLine.get(SUZUKI)).toBeUndefined();
  });

  it('links nothing for unknown, expired, malformed or failed nonces', async () => {
    const ports = setup();
    await ports.nonces.create({ nonce: NONCE, companyUserId: 'M-1', expiresAt: T / 1000 });
    const other = 'o'.repeat(32);
    await ports.nonces.create({ nonce: other, companyUserId: 'M-2', expiresAt: T / 1000 + 60 });
    const outcomes = await handleLineWebhook(
      [
        accountLink(SATO, 'u'.repeat(32)),
        accountLink(SATO, NONCE),
        accountLink(SATO, 'short'),
        accountLink(SATO, other, 'failed'),
        accountLink(SATO, other, 'ok'),
      ],
      ports,
    );
    expect(outcomes.map((o) => o.outcome)).toEqual([
      'nonce-rejected',
      'nonce-rejected',
      'nonce-rejected',
      'link-failed',
      'nonce-rejected',
    ]);
    expect(ports.links.byLine.size).toBe(0);
  });

  it('refuses a nonce of a company user linked elsewhere, audits it and says so in the chat', async () => {
    const ports = setup();
    await ports.links.create(link(SATO, 'M-1'));
    await ports.nonces.create({ nonce: NONCE, companyUserId: 'M-1', expiresAt: T / 1000 + 60 });
    const [outcome] = await handleLineWebhook([accountLink(SUZUKI, NONCE)], ports);
    expect(outcome).toMatchObject({ outcome: 'conflict', code: 'company-user-already-linked' });
    expect(ports.links.byLine.get(SUZUKI)).toBeUndefined();
    expect(ports.links.byCompany.get('M-1')!.lineUserId).toBe(SATO);
    expect(ports.audit.events).toContainEqual(
      expect.objectContaining({ type: 'conflict', lineUserId: SUZUKI, companyUserId: 'M-1' }),
    );
    expect(JSON.stringify(ports.messaging.replies.at(-1))).toContain(
      'already linked to another LINE account',
    );
  });

  it('still counts an event whose reply failed, and gives the claim back when storage fails', async () => {
    const ports = setup();
    ports.messaging.fail = 'link-token';
    const [outcome] = await handleLineWebhook([follow(SATO, T, 'e-1')], ports);
    expect(outcome).toMatchObject({ outcome: 'link-offered', replyFailed: true });

    const broken = setup();
    broken.friendship.record = async () => {
      throw new Error('DynamoDB down');
    };
    await expect(handleLineWebhook([follow(SATO, T, 'e-2')], broken)).rejects.toThrow('DynamoDB down');
    expect(broken.events.claimed.has('e-2')).toBe(false);
  });

  it('ignores unknown event types and events without a user', async () => {
    const ports = setup();
    const outcomes = await handleLineWebhook(
      [
        { type: 'other', common: common(SATO, T) },
        { type: 'follow', common: { webhookEventId: 'g', timestamp: T } },
      ],
      ports,
    );
    expect(outcomes.map((o) => o.outcome)).toEqual(['ignored', 'ignored']);
    expect(ports.events.claimed.size).toBe(0);
  });
});
