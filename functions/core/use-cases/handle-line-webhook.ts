import { AlreadyLinkedError, CompanyUserAlreadyLinkedError, WriteContendedError } from '../errors.js';
import { withUnlinkNotice, type BotTexts } from '../bot-texts.js';
import type { Link } from '../link.js';
import {
  NONCE_PATTERN,
  NonceUnavailableError,
  UNLINK_CONFIRMATION_SECONDS,
  WebhookEventAppliedError,
  parseUnlinkAnswer,
  unlinkAnswerData,
  type UnlinkAnswer,
  type BotMessage,
  type MessagingSettings,
  type WebhookEvent,
  type WebhookReplyWork,
} from '../webhook-events.js';
import type {
  AccountLinkNonceStore,
  AuditEvent,
  FriendshipStore,
  StoredWebhookEventClaim,
  WebhookEffect,
  WebhookEventClaim,
  WebhookEventLog,
  WebhookWorkQueue,
} from '../ports/index.js';
import { linkAccounts, type LinkAccountsPorts } from './link-accounts.js';
import { deauthorizeAuditEvent } from './unlink-me.js';

/** Ports of {@link handleLineWebhook}. */
export interface LineWebhookPorts extends Omit<LinkAccountsPorts, 'friendship'> {
  events: WebhookEventLog;
  friendship: Pick<FriendshipStore, 'current'>;
  nonces: Pick<AccountLinkNonceStore, 'find'>;
  /** Where replies and link tokens go, to be done after the webhook answered. */
  work: WebhookWorkQueue;
  settings: MessagingSettings & {
    /**
     * How far in the future (seconds after its receipt) an event's `timestamp` may lie, for
     * clocks that disagree a little; a later one is ignored and audited.
     */
    clockSkewSeconds: number;
  };
}

/** What became of one event (for logs and metrics; never a token or a nonce). */
export interface EventOutcome {
  webhookEventId: string;
  type: WebhookEvent['type'];
  outcome:
    | 'duplicate'
    | 'ignored'
    | 'event-ignored'
    | 'friend-updated'
    | 'stale'
    | 'unlinked'
    | 'link-offered'
    | 'linked'
    | 'already-linked'
    | 'conflict'
    | 'link-failed'
    | 'nonce-rejected'
    | 'unlink-asked'
    | 'not-linked'
    | 'unlink-cancelled'
    | 'unlink-expired';
  /** The stable code of a refusal (conflicts) or why an event was ignored. */
  code?: string;
  /** LINE work (a reply, a link token) was queued, to be done after the answer. */
  queued?: boolean;
}

/** How often one event is planned again because the state it was planned on changed meanwhile. */
const REPLANS = 5;

/**
 * Applies the events of one signed webhook delivery
 * (https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects), each exactly
 * once; each user's events in event-time order (`timestamp`), different users' concurrently:
 *
 * - **One transaction per event.** The event's claim (its `webhookEventId`, remembered for
 *   `webhookEventTtlSeconds`) commits together with everything the event changes: the
 *   friendship and the link's `friend`, its audit event, the nonce it uses up, the link it makes
 *   or removes. So an event is either applied with its claim or not at all: a failure leaves
 *   nothing half-done, and LINE's redelivery applies it; a redelivery after success finds the
 *   claim and changes nothing. The changes are planned on a consistent read and written under
 *   conditions that the read still holds; if it no longer does, the event is planned again.
 * - **LINE is called after the answer.** A reply or a link token is work stored with the claim
 *   and queued, all of a delivery's in one call after its events were applied; a worker does it
 *   once ({@link runWebhookWork}). A redelivery of an event whose work was not done yet queues it
 *   again (the worker does it at most once).
 * - `follow` / `unfollow`: newest event wins (an older one delivered late changes nothing); an
 *   unfollow removes the link only when the setting says so. `follow`, a link keyword or a link
 *   postback offer the linking URL (pattern 4) to a user who is not linked.
 * - An unlink keyword or postback asks a linked user to confirm (a quick reply); the "yes" removes
 *   that very link in its own transaction, audited with `deauthorize-not-possible` (a webhook has
 *   no user access token), and says so ({@link planUnlinkAnswer}).
 * - `accountLink` with `result: ok` uses up its nonce in the link's own transaction, and only
 *   when the nonce is bound to the event's LINE user (the user whose link token started the
 *   flow); `failed`, unknown, expired, reused or foreign nonces link nothing.
 * - An event whose `timestamp` is not a real time, lies in the future beyond the skew, or is
 *   older than the claims are remembered is ignored and audited (`event-ignored`).
 *
 * @throws WriteContendedError when an event's state kept changing under it; whatever storage or
 *   the queue throws. Events applied before the failure stay applied; the caller answers 5xx so
 *   LINE redelivers, and the redelivery skips them.
 */
export async function handleLineWebhook(
  input: { events: readonly WebhookEvent[]; receivedAt: Date },
  ports: LineWebhookPorts,
): Promise<EventOutcome[]> {
  const ordered = [...input.events].sort((a, b) => a.common.timestamp - b.common.timestamp);
  const outcomes: EventOutcome[] = [];
  // Each user's events one after another in event-time order; different users' at the same time
  // (their states are apart, and where they meet, at a member both link to, the conditions decide).
  const chains = new Map<string, Array<{ event: Exclude<WebhookEvent, { type: 'other' }>; index: number }>>();
  ordered.forEach((event, index) => {
    const base = { webhookEventId: event.common.webhookEventId, type: event.type };
    const userId = event.common.userId;
    if (event.type === 'other' || !userId) {
      outcomes[index] = { ...base, outcome: 'ignored' };
      return;
    }
    chains.set(userId, [...(chains.get(userId) ?? []), { event, index }]);
  });
  const work: WebhookReplyWork[] = [];
  const settled = await Promise.allSettled(
    [...chains].map(async ([userId, chain]) => {
      for (const { event, index } of chain) {
        const { applied, queue } = await applyOnce(event, userId, input.receivedAt, ports);
        if (queue) work.push(queue);
        outcomes[index] = { webhookEventId: event.common.webhookEventId, type: event.type, ...applied };
      }
    }),
  );
  // The work of every event that committed goes out, also when another event failed: one queue
  // call for the delivery. If it fails, LINE's redelivery finds those claims with their work not
  // done and queues it again.
  if (work.length > 0) await ports.work.enqueue(work);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes;
}

type Applied = Pick<EventOutcome, 'outcome' | 'code' | 'queued'>;

/** What one event does, planned on what was read. */
interface Plan {
  outcome: Applied['outcome'];
  code?: string;
  effects: WebhookEffect[];
  messages?: BotMessage[];
  offerLink?: boolean;
  /** For an `accountLink` that links: the company user of its nonce. */
  companyUserId?: string;
}

/** What came of committing one event's plan. */
type Committed =
  | { status: 'applied'; claim: WebhookEventClaim; code?: string }
  | { status: 'duplicate'; claim: StoredWebhookEventClaim }
  | { status: 'changed' };

async function applyOnce(
  event: Exclude<WebhookEvent, { type: 'other' }>,
  userId: string,
  receivedAt: Date,
  ports: LineWebhookPorts,
): Promise<{ applied: Applied; queue?: WebhookReplyWork }> {
  const now = ports.clock.now();
  const claimBase = {
    webhookEventId: event.common.webhookEventId,
    expiresAt: Math.floor(now.getTime() / 1000) + ports.settings.webhookEventTtlSeconds,
  };
  for (let attempt = 0; attempt < REPLANS; attempt++) {
    const plan = await planEvent(event, userId, receivedAt, ports);
    const work = replyWork(event, userId, plan);
    const claim: WebhookEventClaim = { ...claimBase, outcome: plan.outcome, ...(work ? { work } : {}) };
    const result =
      plan.outcome === 'linked' && event.type === 'accountLink'
        ? await linkFromEvent(event, userId, claim, plan, ports)
        : await commit(claim, plan.effects, ports);
    if (result.status === 'changed') continue;
    if (result.status === 'duplicate') {
      const pending = result.claim.work && !result.claim.workDone ? result.claim.work : undefined;
      return {
        applied: { outcome: 'duplicate', ...(pending ? { queued: true } : {}) },
        ...(pending ? { queue: pending } : {}),
      };
    }
    const committed = result.claim;
    return {
      applied: {
        outcome: committed.outcome as Applied['outcome'],
        ...(result.code ? { code: result.code } : plan.code ? { code: plan.code } : {}),
        ...(committed.work ? { queued: true } : {}),
      },
      ...(committed.work ? { queue: committed.work } : {}),
    };
  }
  throw new WriteContendedError();
}

/**
 * Decides what the event does from a consistent read of the state it touches. Reads only: the
 * commit asserts every state read here.
 */
async function planEvent(
  event: Exclude<WebhookEvent, { type: 'other' }>,
  userId: string,
  receivedAt: Date,
  ports: LineWebhookPorts,
): Promise<Plan> {
  const rejected = timestampProblem(event.common.timestamp, receivedAt, ports.settings);
  if (rejected) {
    return {
      outcome: 'event-ignored',
      code: rejected,
      effects: [
        {
          kind: 'audit',
          event: {
            type: 'event-ignored',
            at: ports.clock.now().toISOString(),
            lineUserId: userId,
            code: rejected,
            webhookEventId: event.common.webhookEventId,
          },
        },
      ],
    };
  }
  const at = new Date(event.common.timestamp).toISOString();
  switch (event.type) {
    case 'follow':
    case 'unfollow': {
      const friend = event.type === 'follow';
      const [known, link] = await Promise.all([
        ports.friendship.current(userId),
        ports.links.findByLineUserId(userId),
      ]);
      // Newest wins; an event of the same time as the known state was either this event (whose
      // claim would have been found) or another one of that instant, which came first.
      if (known && known.at >= at) return { outcome: 'stale', effects: [] };
      const audit: WebhookEffect = {
        kind: 'audit',
        event: { type: friend ? 'follow' : 'unfollow', at, lineUserId: userId },
      };
      const friendship: WebhookEffect = {
        kind: 'friendship',
        lineUserId: userId,
        friend,
        at,
        ...(known ? { knownAt: known.at } : {}),
        ...(link
          ? {
              link: {
                companyUserId: link.companyUserId,
                ...(link.friendUpdatedAt !== undefined ? { friendUpdatedAt: link.friendUpdatedAt } : {}),
              },
            }
          : {}),
      };
      if (!friend && link && ports.settings.unlinkOnUnfollow) {
        return {
          outcome: 'unlinked',
          effects: [{ ...friendship, link: undefined, linkRemoved: true }, ...unlinkEffects(link, at), audit],
        };
      }
      const offer = friend && !link && ports.settings.accountLinkStartUrl !== undefined;
      return {
        outcome: offer ? 'link-offered' : 'friend-updated',
        effects: [friendship, audit],
        ...(offer ? { offerLink: true } : {}),
      };
    }
    case 'message':
    case 'postback':
      return planRequest(event, userId, ports);
    case 'accountLink':
      return planAccountLink(event, userId, ports);
  }
}

/**
 * A text message or a postback: asks for the linking URL (a link keyword or postback), asks to
 * unlink (an unlink keyword or postback: answered with a confirmation question), or answers that
 * question. Anything else is not the bot's business.
 */
async function planRequest(
  event: Extract<WebhookEvent, { type: 'message' | 'postback' }>,
  userId: string,
  ports: LineWebhookPorts,
): Promise<Plan> {
  const settings = ports.settings;
  const texts = settings.texts;
  const keyword = event.type === 'message' ? event.text?.trim().toLowerCase() : undefined;
  const data = event.type === 'postback' ? event.data : undefined;
  const answer = data !== undefined ? parseUnlinkAnswer(data) : undefined;
  if (answer) return planUnlinkAnswer(event, answer, userId, ports);
  const askedToUnlink =
    keyword !== undefined
      ? settings.unlinkKeywords.includes(keyword)
      : data !== undefined && settings.unlinkPostbackData.includes(data);
  if (askedToUnlink) {
    const link = await ports.links.findByLineUserId(userId);
    if (!link) return { outcome: 'not-linked', effects: [], messages: [text(texts.notLinked)] };
    return {
      outcome: 'unlink-asked',
      effects: [],
      messages: [unlinkQuestion(texts, link.linkedAt, event.common.timestamp)],
    };
  }
  const askedToLink =
    keyword !== undefined
      ? settings.linkKeywords.includes(keyword)
      : data !== undefined && settings.linkPostbackData.includes(data);
  if (!askedToLink || settings.accountLinkStartUrl === undefined) return { outcome: 'ignored', effects: [] };
  if (await ports.links.findByLineUserId(userId)) {
    return {
      outcome: 'already-linked',
      effects: [],
      messages: [text(withUnlinkNotice(texts, texts.alreadyLinked))],
    };
  }
  return { outcome: 'link-offered', effects: [], offerLink: true };
}

/**
 * The user's answer to the unlink question. "Yes" removes the link in the event's own
 * transaction, with its claim (so a redelivery finds the claim and removes nothing twice), but
 * only the link the question was about and only while the question is fresh: a "yes" tapped
 * after {@link UNLINK_CONFIRMATION_SECONDS}, or after the user unlinked and linked again (another
 * `linkedAt`), changes nothing and says so. The unlink's write is conditioned on the link read.
 */
async function planUnlinkAnswer(
  event: Extract<WebhookEvent, { type: 'message' | 'postback' }>,
  answer: UnlinkAnswer,
  userId: string,
  ports: LineWebhookPorts,
): Promise<Plan> {
  const texts = ports.settings.texts;
  if (answer.answer === 'no')
    return { outcome: 'unlink-cancelled', effects: [], messages: [text(texts.unlinkCancelled)] };
  const link = await ports.links.findByLineUserId(userId);
  if (!link) return { outcome: 'not-linked', effects: [], messages: [text(texts.notLinked)] };
  const age = event.common.timestamp - answer.askedAt;
  if (link.linkedAt !== answer.linkedAt || age < 0 || age > UNLINK_CONFIRMATION_SECONDS * 1000)
    return { outcome: 'unlink-expired', effects: [], messages: [text(texts.unlinkExpired)] };
  return {
    outcome: 'unlinked',
    effects: unlinkEffects(link, new Date(event.common.timestamp).toISOString()),
    messages: [text(texts.unlinked)],
  };
}

/**
 * The effects of an unlink from the webhook (an unfollow, the chat): the link read removed with
 * its `unlink` audit event, and its deauthorize audited as not possible, since a webhook carries
 * no user access token (the same event {@link deauthorizeAuditEvent} gives every unlink path).
 */
function unlinkEffects(link: Link, at: string): WebhookEffect[] {
  return [
    { kind: 'unlink', link },
    { kind: 'audit', event: deauthorizeAuditEvent(link, at, 'deauthorize-not-possible', 'no-access-token') },
  ];
}

/** The unlink question, with "yes" and "no" as quick-reply postbacks bound to the link asked about. */
function unlinkQuestion(texts: BotTexts, linkedAt: string, askedAt: number): BotMessage {
  const item = (answer: 'yes' | 'no', label: string) => ({
    type: 'action' as const,
    action: {
      type: 'postback' as const,
      label,
      data: unlinkAnswerData({ answer, linkedAt, askedAt }),
      displayText: label,
    },
  });
  return {
    type: 'text',
    text: texts.unlinkConfirm,
    quickReply: { items: [item('yes', texts.unlinkYesLabel), item('no', texts.unlinkNoLabel)] },
  };
}

async function planAccountLink(
  event: Extract<WebhookEvent, { type: 'accountLink' }>,
  userId: string,
  ports: LineWebhookPorts,
): Promise<Plan> {
  const now = ports.clock.now();
  const texts = ports.settings.texts;
  // A nonce we never issued is not looked up; a `failed` result still uses up a real one.
  const stored = NONCE_PATTERN.test(event.nonce) ? await ports.nonces.find(event.nonce, now) : undefined;
  const usable = stored !== undefined && stored.lineUserId === userId ? stored : undefined;
  const consume: WebhookEffect[] = usable
    ? [{ kind: 'consume-nonce', nonce: event.nonce, lineUserId: userId, now }]
    : [];
  if (event.result !== 'ok') {
    return { outcome: 'link-failed', effects: consume, messages: [text(texts.linkFailed)] };
  }
  if (!usable) {
    return {
      outcome: 'nonce-rejected',
      effects: [],
      messages: [text(texts.linkExpired)],
    };
  }
  // The link itself is written by linkFromEvent, with the claim and the nonce in its transaction.
  return {
    outcome: 'linked',
    effects: consume,
    companyUserId: usable.companyUserId,
    messages: [text(withUnlinkNotice(texts, texts.linked))],
  };
}

/**
 * Links the event's LINE user to the nonce's company user through {@link linkAccounts}, with the
 * event's claim and the nonce as guards of the link's own transaction. A relink of the same pair
 * or a conflict writes no link: the claim then commits with the nonce used up and the relink or
 * conflict audit event.
 */
async function linkFromEvent(
  event: Extract<WebhookEvent, { type: 'accountLink' }>,
  userId: string,
  claim: WebhookEventClaim,
  plan: Plan,
  ports: LineWebhookPorts,
): Promise<Committed> {
  const companyUserId = plan.companyUserId!;
  const recorded: AuditEvent[] = [];
  const deferredAudit = { record: async (e: AuditEvent) => void recorded.push(e) };
  const now = ports.clock.now();
  try {
    const { created } = await linkAccounts(
      {
        lineUserId: userId,
        companyUserId,
        method: 'account-link',
        guards: [
          { kind: 'webhook-event', claim },
          { kind: 'account-link-nonce', nonce: event.nonce, lineUserId: userId, now },
        ],
      },
      { links: ports.links, clock: ports.clock, audit: deferredAudit },
    );
    if (created) return { status: 'applied', claim };
    const texts = ports.settings.texts;
    const relinked = withReply(claim, 'already-linked', withUnlinkNotice(texts, texts.relinked));
    return commit(relinked, [...plan.effects, ...auditEffects(recorded)], ports);
  } catch (error) {
    if (error instanceof WebhookEventAppliedError) return { status: 'duplicate', claim: error.claim };
    if (error instanceof NonceUnavailableError) return { status: 'changed' };
    if (!(error instanceof AlreadyLinkedError)) throw error;
    const texts = ports.settings.texts;
    const refused = withReply(
      claim,
      'conflict',
      error instanceof CompanyUserAlreadyLinkedError ? texts.conflictCompanyUser : texts.conflictLineUser,
    );
    const result = await commit(refused, [...plan.effects, ...auditEffects(recorded)], ports);
    return result.status === 'applied' ? { ...result, code: error.code } : result;
  }
}

async function commit(
  claim: WebhookEventClaim,
  effects: readonly WebhookEffect[],
  ports: LineWebhookPorts,
): Promise<Committed> {
  const result = await ports.events.commit(claim, effects);
  return result.status === 'applied' ? { status: 'applied', claim } : result;
}

function auditEffects(events: readonly AuditEvent[]): WebhookEffect[] {
  return events.map((event) => ({ kind: 'audit', event }));
}

/** The claim with another outcome and, where the event can be replied to, that reply instead. */
function withReply(claim: WebhookEventClaim, outcome: string, message: string): WebhookEventClaim {
  const work = claim.work?.kind === 'reply' ? { ...claim.work, messages: [text(message)] } : undefined;
  const rest: WebhookEventClaim = {
    webhookEventId: claim.webhookEventId,
    expiresAt: claim.expiresAt,
    outcome,
  };
  return work ? { ...rest, work } : rest;
}

/** The LINE work of a planned event: only where it has a reply token to answer with. */
function replyWork(
  event: Exclude<WebhookEvent, { type: 'other' }>,
  userId: string,
  plan: Plan,
): WebhookReplyWork | undefined {
  const replyToken = 'replyToken' in event ? event.replyToken : undefined;
  if (!replyToken) return undefined;
  const webhookEventId = event.common.webhookEventId;
  if (plan.offerLink) return { kind: 'offer-link', webhookEventId, lineUserId: userId, replyToken };
  if (plan.messages) return { kind: 'reply', webhookEventId, replyToken, messages: plan.messages };
  return undefined;
}

/**
 * Why an event's `timestamp` cannot be applied, if it cannot: not a time at all, later than its
 * receipt plus the allowed skew (it would outrank every real event after it), or older than
 * claims are remembered (a redelivery that old could be applied twice).
 */
function timestampProblem(
  timestamp: number,
  receivedAt: Date,
  settings: Pick<LineWebhookPorts['settings'], 'clockSkewSeconds' | 'webhookEventTtlSeconds'>,
): 'timestamp-invalid' | 'timestamp-in-future' | 'timestamp-too-old' | undefined {
  if (!Number.isSafeInteger(timestamp) || timestamp <= 0 || Number.isNaN(new Date(timestamp).getTime()))
    return 'timestamp-invalid';
  const received = receivedAt.getTime();
  if (timestamp > received + settings.clockSkewSeconds * 1000) return 'timestamp-in-future';
  if (timestamp < received - settings.webhookEventTtlSeconds * 1000) return 'timestamp-too-old';
  return undefined;
}

function text(value: string): BotMessage {
  return { type: 'text', text: value };
}

/**
 * The message carrying the linking URL: a buttons template (text ≤ 160 characters, label ≤ 20,
 * https://developers.line.biz/en/reference/messaging-api/#buttons) with LINE's unlink notice.
 */
export function linkMessage(url: string, texts: BotTexts): BotMessage {
  const notice = withUnlinkNotice(texts, texts.linkOffer);
  return {
    type: 'template',
    altText: `${notice} ${url}`.slice(0, 400),
    template: {
      type: 'buttons',
      text: notice,
      actions: [{ type: 'uri', label: texts.linkButtonLabel, uri: url }],
    },
  };
}
