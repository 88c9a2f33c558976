import type { WebhookEvent } from '../../../../functions/core/webhook-events.js';
import {
  handleLineWebhook,
  type EventOutcome,
  type LineWebhookPorts,
} from '../../../../functions/core/use-cases/handle-line-webhook.js';
import { botTexts, DEFAULT_BOT_TEXTS } from '../../../../functions/core/bot-texts.js';
import { UNLINK_CONFIRMATION_SECONDS } from '../../../../functions/core/webhook-events.js';
import { runWebhookWork } from '../../../../functions/core/use-cases/run-webhook-work.js';
import { InProcessWebhookWorkQueue } from '../../../../functions/adapters/queue/webhook-work-queues.js';
import { frozenClock, InMemoryAuditLog, InMemoryLinkRepository } from '../../../support/fakes.js';
import {
  FakeMessagingApi,
  InMemoryFriendshipStore,
  InMemoryLinkTokenDirectory,
  InMemoryNonceStore,
  InMemoryWebhookEventLog,
} from '../../../support/messaging-fakes.js';

const NOW = '2026-11-30T09:00:00.000Z';
const T = Date.parse(NOW);
const SATO = `U${'a'.repeat(32)}`;
const SUZUKI = `U${'b'.repeat(32)}`;
const NONCE = 'n'.repeat(32);
const START_URL = 'https://api.example.com/account-link/start';
const TEXTS = DEFAULT_BOT_TEXTS.en;
const UNLINK_NOTICE = TEXTS.unlinkNotice;

function setup(settings: Partial<LineWebhookPorts['settings']> = {}) {
  const links = new InMemoryLinkRepository();
  const audit = new InMemoryAuditLog();
  const clock = frozenClock(NOW);
  const nonces = new InMemoryNonceStore();
  const events = new InMemoryWebhookEventLog({ links, audit, nonces, clock });
  const messaging = new FakeMessagingApi();
  const linkTokens = new InMemoryLinkTokenDirectory();
  const workErrors: unknown[] = [];
  const work = new InProcessWebhookWorkQueue(
    (item) =>
      runWebhookWork(item, {
        events,
        messaging,
        linkTokens,
        clock,
        settings: {
          ...(settings.accountLinkStartUrl === undefined && 'accountLinkStartUrl' in settings
            ? {}
            : { accountLinkStartUrl: START_URL }),
          linkTokenTtlSeconds: 600,
          texts: settings.texts ?? TEXTS,
        },
      }),
    (error) => workErrors.push(error),
  );
  const ports = {
    links,
    audit,
    clock,
    events,
    friendship: new InMemoryFriendshipStore(links),
    nonces,
    messaging,
    linkTokens,
    work,
    workErrors,
    settings: {
      accountLinkStartUrl: START_URL,
      linkKeywords: ['link'],
      linkPostbackData: ['action=link'],
      unlinkKeywords: ['unlink'],
      unlinkPostbackData: ['action=unlink'],
      texts: TEXTS,
      unlinkOnUnfollow: false,
      webhookEventTtlSeconds: 3600,
      nonceTtlSeconds: 600,
      clockSkewSeconds: 60,
      ...settings,
    },
  };
  return ports;
}

type Ports = ReturnType<typeof setup>;

/** One delivery, received now, and the LINE work it queued done. */
async function deliver(events: WebhookEvent[], ports: Ports): Promise<EventOutcome[]> {
  const outcomes = await handleLineWebhook({ events, receivedAt: ports.clock.now() }, ports);
  await ports.work.idle();
  return outcomes;
}

/** A nonce pending for `companyUserId`, bound to `lineUserId`. */
const pending = (companyUserId: string, lineUserId: string, expiresAt = T / 1000 + 60, nonce = NONCE) => ({
  nonce,
  companyUserId,
  lineUserId,
  expiresAt,
});

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
    const [outcome] = await deliver([follow(SATO, T)], ports);
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
    await deliver([follow(SATO, T)], ports);
    expect(ports.messaging.replies).toEqual([]);
    expect(ports.links.byLine.get(SATO)).toMatchObject({ friend: true, friendUpdatedAt: NOW });
  });

  it('applies a redelivered event once', async () => {
    const ports = setup();
    const event = follow(SATO, T, 'same-id');
    await deliver([event], ports);
    const [again] = await deliver([event], ports);
    expect(again!.outcome).toBe('duplicate');
    expect(ports.messaging.linkTokens).toHaveLength(1);
    expect(ports.audit.events).toHaveLength(1);
  });

  it('applies the events of one body in event-time order, and ignores an older event delivered late', async () => {
    const ports = setup();
    await ports.links.create(link(SATO, 'M-1'));
    // Listed out of order in the body: the unfollow (T+2) is newer than the follow (T+1).
    await deliver([unfollow(SATO, T + 2000), follow(SATO, T + 1000)], ports);
    expect(ports.links.byLine.get(SATO)).toMatchObject({ friend: false });
    // A follow older than the unfollow, delivered later.
    const [late] = await deliver([follow(SATO, T + 1500)], ports);
    expect(late!.outcome).toBe('stale');
    expect(ports.links.byLine.get(SATO)).toMatchObject({ friend: false });
  });

  it('keeps the link on unfollow by default, and unlinks when the setting says so', async () => {
    const keep = setup();
    await keep.links.create(link(SATO, 'M-1'));
    await deliver([unfollow(SATO, T)], keep);
    expect(keep.links.byLine.get(SATO)).toMatchObject({ friend: false });

    const unlink = setup({ unlinkOnUnfollow: true });
    await unlink.links.create(link(SATO, 'M-1'));
    const [outcome] = await deliver([unfollow(SATO, T)], unlink);
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
    const outcomes = await deliver(
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
    const outcomes = await deliver(
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
    await ports.nonces.create(pending('M-1', SATO));
    const [linked] = await deliver([accountLink(SATO, NONCE)], ports);
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
    const [reused] = await deliver([accountLink(SUZUKI, NONCE)], ports);
    expect(reused!.outcome).toBe('nonce-rejected');
    expect(ports.links.byLine.get(SUZUKI)).toBeUndefined();
  });

  it('links nothing for unknown, expired, malformed or failed nonces', async () => {
    const ports = setup();
    await ports.nonces.create(pending('M-1', SATO, T / 1000));
    const other = 'o'.repeat(32);
    await ports.nonces.create(pending('M-2', SATO, T / 1000 + 60, other));
    const outcomes = await deliver(
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
    await ports.nonces.create(pending('M-1', SUZUKI));
    const [outcome] = await deliver([accountLink(SUZUKI, NONCE)], ports);
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

  it('counts an event whose reply LINE refused: the work is done, not retried', async () => {
    const ports = setup();
    ports.messaging.fail = 'link-token';
    const [outcome] = await deliver([follow(SATO, T, 'e-1')], ports);
    expect(outcome).toMatchObject({ outcome: 'link-offered', queued: true });
    // LINE unavailable: the worker throws, so the queue would run it again; the claim keeps the work.
    expect(ports.workErrors).toHaveLength(1);
    expect((await ports.events.find('e-1'))!.workDone).toBe(false);
    ports.messaging.fail = 'reply-refused';
    const [again] = await deliver([follow(SATO, T, 'e-1')], ports);
    expect(again).toMatchObject({ outcome: 'duplicate', queued: true });
    expect((await ports.events.find('e-1'))!.workDone).toBe(true);
    // Refused for good: a further redelivery queues nothing.
    const [third] = await deliver([follow(SATO, T, 'e-1')], ports);
    expect(third).toEqual({ webhookEventId: 'e-1', type: 'follow', outcome: 'duplicate' });
  });

  it('writes nothing when the commit fails, and applies the redelivery in full', async () => {
    const ports = setup();
    ports.events.failures.push(new Error('DynamoDB down'));
    await expect(deliver([follow(SATO, T, 'e-2')], ports)).rejects.toThrow('DynamoDB down');
    expect(ports.events.claims.has('e-2')).toBe(false);
    expect(ports.audit.events).toEqual([]);
    expect(ports.friendship.known.get(SATO)).toBeUndefined();
    const [redelivered] = await deliver([follow(SATO, T, 'e-2')], ports);
    expect(redelivered!.outcome).toBe('link-offered');
    expect(ports.audit.events).toEqual([{ type: 'follow', at: NOW, lineUserId: SATO }]);
    expect(ports.messaging.replies).toHaveLength(1);
  });

  it('replies to a redelivery of an event whose work was not done once, not twice', async () => {
    const ports = setup();
    ports.messaging.fail = 'reply';
    await deliver([follow(SATO, T, 'e-3')], ports);
    expect(ports.messaging.replies).toHaveLength(0);
    ports.messaging.fail = 'none';
    await deliver([follow(SATO, T, 'e-3')], ports);
    await deliver([follow(SATO, T, 'e-3')], ports);
    expect(ports.messaging.replies).toHaveLength(1);
    expect(ports.audit.events).toHaveLength(1);
  });

  it('records the link token with its LINE user, for the account-link flow to bind its nonce', async () => {
    const ports = setup();
    await deliver([follow(SATO, T)], ports);
    expect(await ports.linkTokens.find('linktoken1', ports.clock.now())).toBe(SATO);
    expect(await ports.linkTokens.find('linktoken1', new Date(T + 601_000))).toBeUndefined();
  });

  it('plans again when the state changed between the read and the commit', async () => {
    const ports = setup();
    const read = ports.links.findByLineUserId.bind(ports.links);
    let first = true;
    ports.links.findByLineUserId = async (id) => {
      const found = await read(id);
      if (first) {
        first = false;
        // A link made right after the webhook read "no link".
        await ports.links.create(link(SATO, 'M-1'));
      }
      return found;
    };
    const [outcome] = await deliver([follow(SATO, T)], ports);
    expect(outcome!.outcome).toBe('friend-updated');
    expect(ports.links.byLine.get(SATO)).toMatchObject({ friend: true, friendUpdatedAt: NOW });
    expect(ports.messaging.replies).toEqual([]);
  });

  it.each([
    ['not a real time', 8.64e15 + 1, 'timestamp-invalid'],
    ['zero', 0, 'timestamp-invalid'],
    ['a fraction', T + 0.5, 'timestamp-invalid'],
    ['in the future beyond the skew', T + 61_000, 'timestamp-in-future'],
    ['older than claims are remembered', T - 3601_000, 'timestamp-too-old'],
  ])('ignores and audits an event whose timestamp is %s', async (_, timestamp, code) => {
    const ports = setup();
    const [outcome] = await deliver([follow(SATO, timestamp, 'odd')], ports);
    expect(outcome).toMatchObject({ outcome: 'event-ignored', code });
    expect(ports.friendship.known.get(SATO)).toBeUndefined();
    expect(ports.messaging.replies).toEqual([]);
    expect(ports.audit.events).toEqual([
      { type: 'event-ignored', at: NOW, lineUserId: SATO, code, webhookEventId: 'odd' },
    ]);
    // Audited once, however often LINE redelivers it.
    await deliver([follow(SATO, timestamp, 'odd')], ports);
    expect(ports.audit.events).toHaveLength(1);
  });

  it('accepts an event dated within the skew, and a later real unfollow still wins over it', async () => {
    const ports = setup();
    await ports.links.create(link(SATO, 'M-1'));
    await deliver([follow(SATO, T + 30_000)], ports);
    expect(ports.links.byLine.get(SATO)).toMatchObject({ friend: true });
    const later = setup();
    await later.links.create(link(SATO, 'M-1'));
    // An event far in the future would have outranked this unfollow: it is ignored instead.
    await deliver([follow(SATO, T + 86_400_000)], later);
    await deliver([unfollow(SATO, T)], later);
    expect(later.links.byLine.get(SATO)).toMatchObject({ friend: false });
  });

  it('links nothing with a nonce bound to another LINE user, and leaves the nonce to its owner', async () => {
    const ports = setup();
    await ports.nonces.create(pending('M-1', SATO));
    const [foreign] = await deliver([accountLink(SUZUKI, NONCE)], ports);
    expect(foreign!.outcome).toBe('nonce-rejected');
    expect(ports.links.byCompany.get('M-1')).toBeUndefined();
    const [own] = await deliver([accountLink(SATO, NONCE)], ports);
    expect(own!.outcome).toBe('linked');
  });

  it('keeps the nonce when the link fails, so the redelivery links', async () => {
    const ports = setup();
    await ports.nonces.create(pending('M-1', SATO));
    const create = ports.links.create.bind(ports.links);
    ports.links.create = async () => {
      throw new Error('DynamoDB down');
    };
    await expect(deliver([accountLink(SATO, NONCE, 'ok', 'al-1')], ports)).rejects.toThrow('DynamoDB down');
    expect(ports.nonces.nonces.has(NONCE)).toBe(true);
    ports.links.create = create;
    const [outcome] = await deliver([accountLink(SATO, NONCE, 'ok', 'al-1')], ports);
    expect(outcome!.outcome).toBe('linked');
    expect(ports.nonces.nonces.has(NONCE)).toBe(false);
    const [again] = await deliver([accountLink(SATO, NONCE, 'ok', 'al-1')], ports);
    expect(again!.outcome).toBe('duplicate');
    expect(ports.messaging.replies).toHaveLength(1);
  });

  it('uses up the nonce of an idempotent relink with the relink audit event', async () => {
    const ports = setup();
    await ports.links.create(link(SATO, 'M-1'));
    await ports.nonces.create(pending('M-1', SATO));
    const [outcome] = await deliver([accountLink(SATO, NONCE)], ports);
    expect(outcome!.outcome).toBe('already-linked');
    expect(ports.nonces.nonces.has(NONCE)).toBe(false);
    expect(ports.audit.events.map((e) => e.type)).toEqual(['relink']);
    expect(JSON.stringify(ports.messaging.replies)).toContain('already linked');
  });

  it("applies other users' events when one user's fails, queues their work, then fails the delivery", async () => {
    const ports = setup();
    const commit = ports.events.commit.bind(ports.events);
    ports.events.commit = async (claim, effects) => {
      if (effects.some((e) => e.kind === 'friendship' && e.lineUserId === SUZUKI))
        throw new Error('throttled');
      return commit(claim, effects);
    };
    const enqueued: string[] = [];
    const enqueue = ports.work.enqueue.bind(ports.work);
    ports.work.enqueue = async (work) => {
      enqueued.push(...work.map((w) => w.webhookEventId));
      return enqueue(work);
    };
    await expect(deliver([follow(SATO, T, 's-1'), follow(SUZUKI, T, 'z-1')], ports)).rejects.toThrow(
      'throttled',
    );
    expect(ports.audit.events).toEqual([{ type: 'follow', at: NOW, lineUserId: SATO }]);
    expect(enqueued).toEqual(['s-1']);
    // LINE's redelivery: SATO's is a duplicate whose work is queued, SUZUKI's is applied.
    ports.events.commit = commit;
    const outcomes = await deliver([follow(SATO, T, 's-1'), follow(SUZUKI, T, 'z-1')], ports);
    expect(outcomes.map((o) => o.outcome)).toEqual(['duplicate', 'link-offered']);
    expect(ports.messaging.replies).toHaveLength(2);
  });

  it('ignores unknown event types and events without a user', async () => {
    const ports = setup();
    const outcomes = await deliver(
      [
        { type: 'other', common: common(SATO, T) },
        { type: 'follow', common: { webhookEventId: 'g', timestamp: T } },
      ],
      ports,
    );
    expect(outcomes.map((o) => o.outcome)).toEqual(['ignored', 'ignored']);
    expect(ports.events.claims.size).toBe(0);
  });
});

describe('unlinking from the chat', () => {
  const say = (userId: string, text: string, ts = T, id?: string): WebhookEvent => ({
    type: 'message',
    common: common(userId, ts, id),
    replyToken: `r${seq}`,
    text,
  });
  const tap = (userId: string, data: string, ts = T, id?: string): WebhookEvent => ({
    type: 'postback',
    common: common(userId, ts, id),
    replyToken: `r${seq}`,
    data,
  });
  /** The quick-reply postback data of the last question asked, by label. */
  function answers(ports: Ports): { yes: string; no: string } {
    const message = ports.messaging.replies.at(-1)!.messages[0]!;
    if (message.type !== 'text' || !message.quickReply) throw new Error('no question asked');
    const [yes, no] = message.quickReply.items.map((item) => item.action.data);
    return { yes: yes!, no: no! };
  }
  const lastReply = (ports: Ports) => {
    const message = ports.messaging.replies.at(-1)!.messages[0]!;
    return message.type === 'text' ? message.text : undefined;
  };

  it('asks for confirmation on the keyword and the postback, with "yes" and "no" quick replies', async () => {
    const ports = setup();
    await ports.links.create(link(SATO, 'M-1'));
    const outcomes = await deliver([say(SATO, ' UNLINK '), tap(SATO, 'action=unlink')], ports);
    expect(outcomes.map((o) => o.outcome)).toEqual(['unlink-asked', 'unlink-asked']);
    const question = ports.messaging.replies[0]!.messages[0]!;
    expect(question).toMatchObject({
      type: 'text',
      text: TEXTS.unlinkConfirm,
      quickReply: {
        items: [
          { type: 'action', action: { type: 'postback', label: TEXTS.unlinkYesLabel } },
          { type: 'action', action: { type: 'postback', label: TEXTS.unlinkNoLabel } },
        ],
      },
    });
    expect(ports.links.byLine.get(SATO)).toBeDefined();
    expect(ports.audit.events).toEqual([]);
  });

  it('"yes" removes the link in the event\'s transaction, audits unlink and deauthorize-not-possible, and says so', async () => {
    const ports = setup();
    await ports.links.create(link(SATO, 'M-1'));
    await deliver([say(SATO, 'unlink')], ports);
    const [outcome] = await deliver([tap(SATO, answers(ports).yes, T + 5_000)], ports);
    expect(outcome!.outcome).toBe('unlinked');
    expect(ports.links.byLine.get(SATO)).toBeUndefined();
    expect(ports.links.byCompany.get('M-1')).toBeUndefined();
    expect(ports.audit.events).toEqual([
      expect.objectContaining({ type: 'unlink', lineUserId: SATO, companyUserId: 'M-1' }),
      {
        type: 'deauthorize',
        at: new Date(T + 5_000).toISOString(),
        lineUserId: SATO,
        companyUserId: 'M-1',
        code: 'deauthorize-not-possible',
        detail: 'no-access-token',
      },
    ]);
    expect(lastReply(ports)).toBe(TEXTS.unlinked);
    expect(lastReply(ports)).toMatch(/cannot be withdrawn from this chat.*Authorized apps/);
  });

  it('"no" changes nothing and says so', async () => {
    const ports = setup();
    await ports.links.create(link(SATO, 'M-1'));
    await deliver([say(SATO, 'unlink')], ports);
    const [outcome] = await deliver([tap(SATO, answers(ports).no)], ports);
    expect(outcome!.outcome).toBe('unlink-cancelled');
    expect(ports.links.byLine.get(SATO)).toBeDefined();
    expect(ports.audit.events).toEqual([]);
    expect(lastReply(ports)).toBe(TEXTS.unlinkCancelled);
  });

  it('tells a user who is not linked so, and asks nothing', async () => {
    const ports = setup();
    const [outcome] = await deliver([say(SATO, 'unlink')], ports);
    expect(outcome!.outcome).toBe('not-linked');
    expect(lastReply(ports)).toBe(TEXTS.notLinked);
  });

  it('a redelivered "yes" changes nothing twice, and a second tap finds nothing to unlink', async () => {
    const ports = setup();
    await ports.links.create(link(SATO, 'M-1'));
    await deliver([say(SATO, 'unlink')], ports);
    const { yes } = answers(ports);
    await deliver([tap(SATO, yes, T, 'YES-1')], ports);
    const [redelivered] = await deliver([tap(SATO, yes, T, 'YES-1')], ports);
    expect(redelivered!.outcome).toBe('duplicate');
    const [again] = await deliver([tap(SATO, yes, T + 1000)], ports);
    expect(again!.outcome).toBe('not-linked');
    expect(ports.audit.events.filter((e) => e.type === 'unlink')).toHaveLength(1);
    expect(ports.audit.events.filter((e) => e.type === 'deauthorize')).toHaveLength(1);
  });

  it('a stale "yes" removes nothing: too late, or about a link that was replaced since', async () => {
    const ports = setup();
    await ports.links.create(link(SATO, 'M-1'));
    await deliver([say(SATO, 'unlink', T - (UNLINK_CONFIRMATION_SECONDS + 1) * 1000)], ports);
    const { yes: old } = answers(ports);
    const [late] = await deliver([tap(SATO, old, T)], ports);
    expect(late!.outcome).toBe('unlink-expired');
    expect(lastReply(ports)).toBe(TEXTS.unlinkExpired);

    // Unlinked and linked again (to the very same member) after a fresh question was asked.
    await deliver([say(SATO, 'unlink')], ports);
    const { yes } = answers(ports);
    ports.links.byLine.delete(SATO);
    ports.links.byCompany.delete('M-1');
    await ports.links.create({ ...link(SATO, 'M-1'), linkedAt: '2026-11-30T09:00:03.000Z' });
    const [relinked] = await deliver([tap(SATO, yes, T + 5000)], ports);
    expect(relinked!.outcome).toBe('unlink-expired');
    expect(ports.links.byLine.get(SATO)).toBeDefined();
    expect(ports.audit.events.filter((e) => e.type === 'unlink' || e.type === 'deauthorize')).toEqual([]);
  });

  it('speaks the configured language and texts, keeping the unlink notice in link texts', async () => {
    const ja = botTexts('ja', { unlinkConfirm: '本当に解除しますか?' });
    const ports = setup({ texts: ja });
    await ports.links.create(link(SATO, 'M-1'));
    await deliver([say(SATO, 'unlink'), say(SATO, 'link')], ports);
    const [question, already] = ports.messaging.replies.map((r) => r.messages[0]!);
    expect(question).toMatchObject({ text: '本当に解除しますか?' });
    expect(question).toMatchObject({ quickReply: { items: [{ action: { label: '解除する' } }, {}] } });
    expect(already).toMatchObject({ text: `${ja.alreadyLinked} ${ja.unlinkNotice}` });
    expect(ja.unlinkNotice).toBe('連携はいつでも解除できます。');
  });

  it('an unfollow that unlinks audits deauthorize-not-possible too', async () => {
    const ports = setup({ unlinkOnUnfollow: true });
    await ports.links.create(link(SATO, 'M-1'));
    await deliver([unfollow(SATO, T)], ports);
    expect(ports.audit.events).toContainEqual(
      expect.objectContaining({
        type: 'deauthorize',
        code: 'deauthorize-not-possible',
        detail: 'no-access-token',
      }),
    );
  });
});
