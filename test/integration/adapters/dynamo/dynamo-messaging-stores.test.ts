import { randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../../../../functions/adapters/dynamo/dynamo-audit-log.js';
import {
  createDocumentClient,
  createDynamoClient,
} from '../../../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoLinkRepository } from '../../../../functions/adapters/dynamo/dynamo-link-repository.js';
import {
  DynamoAccountLinkNonceStore,
  DynamoWebhookEventLog,
} from '../../../../functions/adapters/dynamo/dynamo-messaging-stores.js';
import type { Link } from '../../../../functions/core/link.js';
import type { WebhookReplyWork } from '../../../../functions/core/webhook-events.js';
import type { WebhookEffect, WebhookEventClaim } from '../../../../functions/core/ports/index.js';
import { ensureTables, localClient, taggedTableNames } from '../../../../functions/local/dynamodb-local.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../../support/dynamo-fault-proxy.js';

/**
 * The webhook event log (DynamoWebhookEventLog) against DynamoDB Local, through the fault proxy: an event's claim and its
 * effects commit in one transaction, so an event is applied with everything it changes or not at
 * all, and once; a commit whose answer was lost is recognised as its own; the LINE work is marked
 * done once. Times are fixed, not the clock's.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const suffix = randomBytes(4).toString('hex');
const tables = taggedTableNames(`events-${suffix}`);
// In the future, so DynamoDB Local's TTL sweep never removes what a test wrote with this clock.
const NOW = new Date('2096-12-01T09:00:00.000Z');
const NOW_SEC = NOW.getTime() / 1000;
const EXPIRES_AT = NOW_SEC + 7 * 86_400;
const FOLLOW_AT = '2096-12-01T08:59:00.000Z';

let proxy: DynamoFaultProxy;
let doc: DynamoDBDocumentClient;
let events: DynamoWebhookEventLog;
let links: DynamoLinkRepository;
let n = 0;

beforeAll(async () => {
  await ensureTables(localClient(endpoint), tables);
  proxy = await startDynamoFaultProxy(endpoint);
  doc = createDocumentClient({ endpoint: proxy.endpoint });
  const audit = new DynamoAuditLog(doc, tables.audit, { now: () => NOW });
  events = new DynamoWebhookEventLog(
    doc,
    {
      messagingTable: tables.messaging,
      linksTable: tables.links,
      auditWrite: (event) => audit.eventWrite(event),
      linkWrites: audit.transactionWrites(),
    },
    () => NOW,
  );
  links = new DynamoLinkRepository(doc, tables.links);
});
afterAll(async () => {
  doc.destroy();
  await proxy.close();
});
beforeEach(() => proxy.clear());

/** A LINE user and an event ID never used before in this file. */
function fresh() {
  const i = n++;
  return {
    lineUserId: `U${suffix}${String(i).padStart(24, '0')}`,
    webhookEventId: `01EV${suffix.toUpperCase()}${String(i).padStart(18, '0')}`,
  };
}

const claimOf = (webhookEventId: string, work?: WebhookReplyWork): WebhookEventClaim => ({
  webhookEventId,
  expiresAt: EXPIRES_AT,
  outcome: 'friend-updated',
  ...(work ? { work } : {}),
});
const followOf = (lineUserId: string, link?: Link): WebhookEffect[] => [
  {
    kind: 'friendship',
    lineUserId,
    friend: true,
    at: FOLLOW_AT,
    ...(link ? { link: { companyUserId: link.companyUserId } } : {}),
  },
  { kind: 'audit', event: { type: 'follow', at: FOLLOW_AT, lineUserId } },
];
const item = async (table: string, pk: string) =>
  (await doc.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }))).Item;
const auditTypes = async (lineUserId: string) =>
  (
    (
      await doc.send(
        new QueryCommand({
          TableName: tables.audit,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `LINE#${lineUserId}` },
          ConsistentRead: true,
        }),
      )
    ).Items ?? []
  ).map((event) => event.type as string);
async function linked(lineUserId: string): Promise<Link> {
  const link: Link = {
    lineUserId,
    companyUserId: `M-${lineUserId.slice(-6)}`,
    method: 'oidc',
    linkedAt: '2096-11-01T00:00:00.000Z',
  };
  await links.create(link);
  return link;
}

describe('DynamoWebhookEventLog.commit', () => {
  test('the claim and every effect in one transaction: the claim with its outcome and work, the friendship, the link, the audit event', async () => {
    const { lineUserId, webhookEventId } = fresh();
    const link = await linked(lineUserId);
    const work: WebhookReplyWork = { kind: 'offer-link', webhookEventId, lineUserId, replyToken: 'r-1' };
    await expect(events.commit(claimOf(webhookEventId, work), followOf(lineUserId, link))).resolves.toEqual({
      status: 'applied',
    });
    expect(proxy.count({ operation: 'TransactWriteItems', table: tables.messaging })).toBe(1);
    expect(await item(tables.messaging, `EVENT#${webhookEventId}`)).toEqual({
      pk: `EVENT#${webhookEventId}`,
      expiresAt: EXPIRES_AT,
      outcome: 'friend-updated',
      attempt: expect.stringMatching(/^[0-9a-f-]{36}$/),
      work: JSON.stringify(work),
    });
    expect(await item(tables.messaging, `FRIEND#${lineUserId}`)).toEqual({
      pk: `FRIEND#${lineUserId}`,
      friend: true,
      friendUpdatedAt: FOLLOW_AT,
    });
    expect(await item(tables.links, `LINE#${lineUserId}`)).toMatchObject({
      companyUserId: link.companyUserId,
      friend: true,
      friendUpdatedAt: FOLLOW_AT,
    });
    expect(await auditTypes(lineUserId)).toEqual(['follow']);
  });

  test('a second commit of the same event is refused as already seen, with the stored claim, and writes none of its effects', async () => {
    const { lineUserId, webhookEventId } = fresh();
    const work: WebhookReplyWork = { kind: 'offer-link', webhookEventId, lineUserId, replyToken: 'r-1' };
    await events.commit(claimOf(webhookEventId, work), followOf(lineUserId));
    const again = await events.commit({ ...claimOf(webhookEventId), outcome: 'other' }, [
      { kind: 'friendship', lineUserId, friend: false, at: '2096-12-01T08:59:30.000Z', knownAt: FOLLOW_AT },
      { kind: 'audit', event: { type: 'unfollow', at: '2096-12-01T08:59:30.000Z', lineUserId } },
    ]);
    expect(again).toEqual({
      status: 'duplicate',
      claim: { webhookEventId, expiresAt: EXPIRES_AT, outcome: 'friend-updated', work, workDone: false },
    });
    expect(await item(tables.messaging, `FRIEND#${lineUserId}`)).toMatchObject({ friend: true });
    expect(await auditTypes(lineUserId)).toEqual(['follow']);
  });

  test('a claim past its expiry that TTL has not removed yet counts as gone: the event is applied again', async () => {
    const { lineUserId, webhookEventId } = fresh();
    await events.commit({ ...claimOf(webhookEventId), expiresAt: NOW_SEC }, followOf(lineUserId));
    await expect(
      events.commit(claimOf(webhookEventId), [
        { kind: 'audit', event: { type: 'follow', at: FOLLOW_AT, lineUserId } },
      ]),
    ).resolves.toEqual({ status: 'applied' });
    expect(await item(tables.messaging, `EVENT#${webhookEventId}`)).toMatchObject({ expiresAt: EXPIRES_AT });
  });

  test('an effect whose planned state changed refuses the whole commit (changed): no claim, no effect', async () => {
    const { lineUserId, webhookEventId } = fresh();
    await expect(
      events.commit(claimOf(webhookEventId), [
        // Planned on a known state that is not there.
        { kind: 'friendship', lineUserId, friend: true, at: FOLLOW_AT, knownAt: '2096-11-30T00:00:00.000Z' },
        { kind: 'audit', event: { type: 'follow', at: FOLLOW_AT, lineUserId } },
      ]),
    ).resolves.toEqual({ status: 'changed' });
    // Planned on no link, but the user has one now.
    const linkedUser = fresh();
    await linked(linkedUser.lineUserId);
    await expect(
      events.commit(claimOf(linkedUser.webhookEventId), followOf(linkedUser.lineUserId)),
    ).resolves.toEqual({ status: 'changed' });
    for (const { lineUserId: user, webhookEventId: id } of [{ lineUserId, webhookEventId }, linkedUser]) {
      expect(await item(tables.messaging, `EVENT#${id}`)).toBeUndefined();
      expect(await item(tables.messaging, `FRIEND#${user}`)).toBeUndefined();
      expect(await auditTypes(user)).toEqual([]);
    }
  });

  test('an unfollow that unlinks and an account link that uses up its nonce: both sides deleted, the nonce gone, each audit event written', async () => {
    const { lineUserId, webhookEventId } = fresh();
    const link = await linked(lineUserId);
    await expect(
      events.commit(claimOf(webhookEventId), [
        { kind: 'friendship', lineUserId, friend: false, at: FOLLOW_AT, link, linkRemoved: true },
        { kind: 'unlink', link },
        { kind: 'audit', event: { type: 'unfollow', at: FOLLOW_AT, lineUserId } },
      ]),
    ).resolves.toEqual({ status: 'applied' });
    expect(await item(tables.links, `LINE#${lineUserId}`)).toBeUndefined();
    expect(await item(tables.links, `COMPANY#${link.companyUserId}`)).toBeUndefined();
    expect((await auditTypes(lineUserId)).sort()).toEqual(['unfollow', 'unlink']);

    const other = fresh();
    const nonces = new DynamoAccountLinkNonceStore(doc, tables.messaging);
    const nonce = { nonce: `n-${other.webhookEventId}`, companyUserId: 'M-N', lineUserId: other.lineUserId };
    await nonces.create({ ...nonce, expiresAt: NOW_SEC + 600 });
    const consume: WebhookEffect = {
      kind: 'consume-nonce',
      nonce: nonce.nonce,
      lineUserId: other.lineUserId,
      now: NOW,
    };
    // Bound to another LINE user: refused, and the nonce stays usable.
    await expect(
      events.commit(claimOf(other.webhookEventId), [{ ...consume, lineUserId: fresh().lineUserId }]),
    ).resolves.toEqual({ status: 'changed' });
    expect(await nonces.find(nonce.nonce, NOW)).toBeDefined();
    await expect(events.commit(claimOf(other.webhookEventId), [consume])).resolves.toEqual({
      status: 'applied',
    });
    expect(await item(tables.messaging, `NONCE#${nonce.nonce}`)).toBeUndefined();
  });

  test("a commit whose answer was lost is this call's own: applied, once, when the SDK sends it again", async () => {
    const { lineUserId, webhookEventId } = fresh();
    proxy.inject({ operation: 'TransactWriteItems', table: tables.messaging, kind: 'reset-after' });
    await expect(events.commit(claimOf(webhookEventId), followOf(lineUserId))).resolves.toEqual({
      status: 'applied',
    });
    expect(proxy.count({ operation: 'TransactWriteItems' })).toBe(2);
    expect(await auditTypes(lineUserId)).toEqual(['follow']);
    // Another call's commit of the same event is still a duplicate.
    await expect(events.commit(claimOf(webhookEventId), followOf(lineUserId))).resolves.toMatchObject({
      status: 'duplicate',
    });
  });

  test("a resend DynamoDB does not know by its request token (past its window) is still told apart by the claim's attempt", async () => {
    const { lineUserId, webhookEventId } = fresh();
    const client = createDynamoClient({ endpoint: proxy.endpoint });
    // Each attempt goes out without the SDK's ClientRequestToken, so the resend is a new transaction.
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: unknown; headers: Record<string, string> };
        // The JSON protocol's body is a string object by then; a plain string after the rewrite.
        const text = request.body === undefined ? '' : String(request.body);
        if (text.includes('"ClientRequestToken"')) {
          const body = JSON.parse(text) as Record<string, unknown>;
          delete body.ClientRequestToken;
          request.body = JSON.stringify(body);
          request.headers['content-length'] = String(Buffer.byteLength(request.body as string));
        }
        return next(args);
      },
      { step: 'build', name: 'forgetClientRequestToken' },
    );
    const forgetful = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    const audit = new DynamoAuditLog(forgetful, tables.audit);
    const log = new DynamoWebhookEventLog(
      forgetful,
      { messagingTable: tables.messaging, linksTable: tables.links, auditWrite: (e) => audit.eventWrite(e) },
      () => NOW,
    );
    proxy.inject({ operation: 'TransactWriteItems', table: tables.messaging, kind: 'reset-after' });
    try {
      await expect(log.commit(claimOf(webhookEventId), followOf(lineUserId))).resolves.toEqual({
        status: 'applied',
      });
      const sent = proxy.calls.filter((call) => call.operation === 'TransactWriteItems');
      expect(sent).toHaveLength(2);
      expect(sent.map((call) => call.body.ClientRequestToken)).toEqual([undefined, undefined]);
      expect(await auditTypes(lineUserId)).toEqual(['follow']);
    } finally {
      forgetful.destroy();
    }
  });
});

describe('DynamoWebhookEventLog.find and .completeWork', () => {
  test("find: the stored claim with its work and whether it is done, never the writing call's token; unknown or expired is undefined", async () => {
    const { lineUserId, webhookEventId } = fresh();
    const work: WebhookReplyWork = {
      kind: 'reply',
      webhookEventId,
      replyToken: 'r-2',
      messages: [{ type: 'text', text: 'hi' }],
    };
    await events.commit(claimOf(webhookEventId, work), followOf(lineUserId));
    expect(await events.find(webhookEventId)).toEqual({
      webhookEventId,
      expiresAt: EXPIRES_AT,
      outcome: 'friend-updated',
      work,
      workDone: false,
    });
    expect(await events.find(fresh().webhookEventId)).toBeUndefined();
    const expired = fresh();
    await events.commit({ ...claimOf(expired.webhookEventId), expiresAt: NOW_SEC }, []);
    expect(await item(tables.messaging, `EVENT#${expired.webhookEventId}`)).toBeDefined();
    expect(await events.find(expired.webhookEventId)).toBeUndefined();
  });

  test('completeWork marks the work done once and drops it (it holds the reply token); again, or for an unknown event, is false', async () => {
    const { lineUserId, webhookEventId } = fresh();
    const work: WebhookReplyWork = { kind: 'offer-link', webhookEventId, lineUserId, replyToken: 'r-3' };
    await events.commit(claimOf(webhookEventId, work), followOf(lineUserId));
    expect(await events.completeWork(webhookEventId, 'replied')).toBe(true);
    const stored = await item(tables.messaging, `EVENT#${webhookEventId}`);
    expect(stored).toMatchObject({ workDone: true, workOutcome: 'replied', outcome: 'friend-updated' });
    expect(stored).not.toHaveProperty('work');
    expect(await events.find(webhookEventId)).toEqual({
      webhookEventId,
      expiresAt: EXPIRES_AT,
      outcome: 'friend-updated',
      workDone: true,
    });
    expect(await events.completeWork(webhookEventId, 'failed')).toBe(false);
    expect(await item(tables.messaging, `EVENT#${webhookEventId}`)).toMatchObject({ workOutcome: 'replied' });
    const unknown = fresh().webhookEventId;
    expect(await events.completeWork(unknown, 'replied')).toBe(false);
    expect(await item(tables.messaging, `EVENT#${unknown}`)).toBeUndefined();
  });
});
