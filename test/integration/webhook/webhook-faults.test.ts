import { createHmac, randomBytes } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DEFAULT_COMPANY_MEMBERS } from '../../../functions/local/emulators/test-identities.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../support/dynamo-fault-proxy.js';
import { startLineBotFake, type LineBotFake } from '../../support/line-bot-fake.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * The webhook under the faults DynamoDB has every day, injected at the HTTP level between the
 * real handler and DynamoDB Local (test/support/dynamo-fault-proxy.ts): each write failing, each
 * write's answer lost, reads failing, the same event delivered five times at once. Whatever
 * happens, each event ends applied exactly once: one audit event, one friendship, one link, one
 * reply, and a failed delivery leaves nothing half-done for LINE's redelivery to trip over.
 */

const MESSAGING = { channelId: '2000000101', channelSecret: 'messaging-channel-secret-0123456' };
const BOT = `U${'0'.repeat(32)}`;
const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!.memberId;

let stack: TestStack;
let bot: LineBotFake;
let proxy: DynamoFaultProxy;
let api: string;

beforeAll(async () => {
  proxy = await startDynamoFaultProxy(process.env.DYNAMODB_ENDPOINT!);
  bot = await startLineBotFake(MESSAGING);
  stack = await startTestStack({
    DYNAMODB_ENDPOINT: proxy.endpoint,
    APP_RETURN_URLS: 'https://app.example.com/linked',
    LINE_API_BASE: bot.url,
    LINE_MESSAGING_CHANNEL_ID: MESSAGING.channelId,
    LINE_MESSAGING_CHANNEL_SECRET: MESSAGING.channelSecret,
    LINE_BOT_USER_ID: BOT,
    LINE_UNFOLLOW_UNLINKS: 'false',
  });
  bot.upstream = stack.line.url;
  api = stack.api.url;
});

afterAll(async () => {
  await stack.close();
  await bot.close();
  await proxy.close();
});

beforeEach(() => proxy.clear());

// ------------------------------------------------------------------ helpers

/** A LINE user of its own for each test, so tests never see each other's state. */
const newUser = () => `U${randomBytes(16).toString('hex')}`;

let clock = Date.now();
function event<X extends Record<string, unknown>>(type: string, userId: string, extra: X = {} as X) {
  return {
    type,
    mode: 'active',
    timestamp: (clock = Math.max(clock + 1000, Date.now())),
    source: { type: 'user', userId },
    webhookEventId: `01J${randomBytes(12).toString('hex').toUpperCase()}`,
    deliveryContext: { isRedelivery: false },
    ...extra,
  };
}
const follow = (userId: string) =>
  event('follow', userId, { replyToken: randomBytes(8).toString('hex'), follow: { isUnblocked: false } });
const accountLink = (userId: string, nonce: string) =>
  event('accountLink', userId, { replyToken: randomBytes(8).toString('hex'), link: { result: 'ok', nonce } });
const redelivery = <E extends { deliveryContext: unknown }>(e: E): E => ({
  ...e,
  deliveryContext: { isRedelivery: true },
});

async function post(events: unknown[], destination = BOT): Promise<number> {
  const body = JSON.stringify({ destination, events });
  const res = await fetch(`${api}/webhook/line`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-line-signature': createHmac('sha256', MESSAGING.channelSecret).update(body).digest('base64'),
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

const str = (value: unknown) => (value as { S?: string } | undefined)?.S;
const auditOf = async (userId: string) =>
  (await stack.scan('audit')).filter((item) => str(item.lineUserId) === userId).map((i) => str(i.type));
const friendOf = async (userId: string) =>
  (await stack.scan('messaging')).find((item) => str(item.pk) === `FRIEND#${userId}`);
const linkOf = async (userId: string) =>
  (await stack.scan('links')).find((item) => str(item.pk) === `LINE#${userId}`);
const claimOf = async (id: string) =>
  (await stack.scan('messaging')).find((item) => str(item.pk) === `EVENT#${id}`);
const repliesTo = (replyToken: string) => bot.replies.filter((r) => r.replyToken === replyToken);

/** Waits for the queued LINE work (in this process, after the answer) to reach the bot. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function putNonce(companyUserId: string, lineUserId: string) {
  const nonce = randomBytes(24).toString('base64url');
  await stack.dynamo.send(
    new PutItemCommand({
      TableName: stack.tables.messaging,
      Item: {
        pk: { S: `NONCE#${nonce}` },
        companyUserId: { S: companyUserId },
        lineUserId: { S: lineUserId },
        expiresAt: { N: String(Math.floor(Date.now() / 1000) + 600) },
      },
    }),
  );
  return nonce;
}

const TRANSACTION = { operation: 'TransactWriteItems' } as const;

// ------------------------------------------------------------------ tests

describe('a write that fails leaves nothing half-done, and the redelivery applies the event once', () => {
  it.each([
    ['throttled', 'throttle'],
    ['answered 500', 'server-error'],
    ['reset before it arrives', 'reset-before'],
  ] as const)('follow: its transaction %s past the retries', async (_, kind) => {
    const user = newUser();
    const e = follow(user);
    proxy.inject({ ...TRANSACTION, kind, times: Infinity });
    expect(await post([e])).toBeGreaterThanOrEqual(500);
    proxy.clear();
    expect(await auditOf(user)).toEqual([]);
    expect(await friendOf(user)).toBeUndefined();
    expect(await claimOf(e.webhookEventId)).toBeUndefined();

    expect(await post([redelivery(e)])).toBe(200);
    expect(await auditOf(user)).toEqual(['follow']);
    expect(str((await friendOf(user))?.friendUpdatedAt)).toBe(new Date(e.timestamp).toISOString());
    await eventually(() => repliesTo(e.replyToken).length === 1);
  });

  it('accountLink: the link transaction fails, the nonce stays, and the redelivery links', async () => {
    const user = newUser();
    const nonce = await putNonce(HANAKO + user.slice(-6), user);
    const e = accountLink(user, nonce);
    proxy.inject({ ...TRANSACTION, kind: 'server-error', times: Infinity });
    expect(await post([e])).toBeGreaterThanOrEqual(500);
    proxy.clear();
    expect(await linkOf(user)).toBeUndefined();
    expect((await stack.scan('messaging')).some((item) => str(item.pk) === `NONCE#${nonce}`)).toBe(true);

    expect(await post([redelivery(e)])).toBe(200);
    expect(str((await linkOf(user))?.companyUserId)).toBe(HANAKO + user.slice(-6));
    expect((await stack.scan('messaging')).some((item) => str(item.pk) === `NONCE#${nonce}`)).toBe(false);
    expect(await auditOf(user)).toEqual(['link']);
    await eventually(() => repliesTo(e.replyToken).length === 1);
    expect(JSON.stringify(repliesTo(e.replyToken))).toContain('now linked');
  });

  it('a read while planning fails: nothing is written, the redelivery applies', async () => {
    const user = newUser();
    const e = follow(user);
    proxy.inject({ operation: 'GetItem', kind: 'server-error', times: Infinity });
    expect(await post([e])).toBeGreaterThanOrEqual(500);
    proxy.clear();
    expect(await claimOf(e.webhookEventId)).toBeUndefined();
    expect(await post([redelivery(e)])).toBe(200);
    expect(await auditOf(user)).toEqual(['follow']);
  });
});

describe("a write whose answer is lost: the SDK's retry is recognised as the same write", () => {
  it('follow: applied once, answered 200, replied once', async () => {
    const user = newUser();
    const e = follow(user);
    proxy.inject({ ...TRANSACTION, kind: 'reset-after' });
    expect(await post([e])).toBe(200);
    expect(proxy.count(TRANSACTION)).toBe(2);
    expect(await auditOf(user)).toEqual(['follow']);
    await eventually(() => repliesTo(e.replyToken).length === 1);
    // LINE's redelivery (it saw no answer in time) changes nothing and replies nothing more.
    expect(await post([redelivery(e)])).toBe(200);
    expect(await auditOf(user)).toEqual(['follow']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(repliesTo(e.replyToken)).toHaveLength(1);
  });

  it('accountLink: linked once with the nonce used up, answered 200', async () => {
    const user = newUser();
    const member = `M-LOST-${user.slice(-6)}`;
    const nonce = await putNonce(member, user);
    const e = accountLink(user, nonce);
    proxy.inject({ ...TRANSACTION, kind: 'reset-after' });
    expect(await post([e])).toBe(200);
    expect(str((await linkOf(user))?.companyUserId)).toBe(member);
    expect(await auditOf(user)).toEqual(['link']);
    await eventually(() => repliesTo(e.replyToken).length === 1);
    expect(JSON.stringify(repliesTo(e.replyToken))).toContain('now linked');
  });

  it("the worker's completion answer is lost: the reply is still sent once", async () => {
    const user = newUser();
    const e = follow(user);
    proxy.inject({
      operation: 'UpdateItem',
      kind: 'reset-after',
      when: (b) => JSON.stringify(b).includes('workDone'),
    });
    expect(await post([e])).toBe(200);
    await eventually(async () => (await claimOf(e.webhookEventId))?.workDone !== undefined);
    expect(await post([redelivery(e)])).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(repliesTo(e.replyToken)).toHaveLength(1);
  });
});

describe('the same event delivered five times at once', () => {
  it('is applied once and replied to once; every delivery is answered 200', async () => {
    const user = newUser();
    const e = follow(user);
    const statuses = await Promise.all([0, 1, 2, 3, 4].map((n) => post([n === 0 ? e : redelivery(e)])));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(await auditOf(user)).toEqual(['follow']);
    await eventually(() => repliesTo(e.replyToken).length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(repliesTo(e.replyToken)).toHaveLength(1);
    expect(bot.linkTokens.filter((t) => t.userId === user)).toHaveLength(1);
  });

  it('an accountLink: one link, one audit event, one reply', async () => {
    const user = newUser();
    const member = `M-FIVE-${user.slice(-6)}`;
    const nonce = await putNonce(member, user);
    const e = accountLink(user, nonce);
    const statuses = await Promise.all([0, 1, 2, 3, 4].map(() => post([e])));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(str((await linkOf(user))?.companyUserId)).toBe(member);
    expect(await auditOf(user)).toEqual(['link']);
    await eventually(() => repliesTo(e.replyToken).length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(repliesTo(e.replyToken)).toHaveLength(1);
  });
});

describe('events that are not ours to apply', () => {
  it('a signed event dated absurdly or in the future is ignored and audited, never a 500', async () => {
    const user = newUser();
    const absurd = { ...follow(user), timestamp: 1e300 };
    const future = { ...follow(user), timestamp: Date.now() + 3_600_000 };
    expect(await post([absurd, future])).toBe(200);
    const audit = (await stack.scan('audit')).filter((item) => str(item.lineUserId) === user);
    expect(audit.map((item) => [str(item.type), str(item.code)]).sort()).toEqual([
      ['event-ignored', 'timestamp-in-future'],
      ['event-ignored', 'timestamp-invalid'],
    ]);
    expect(await friendOf(user)).toBeUndefined();
    // A real unfollow after them is applied: the future follow did not outrank it.
    expect(await post([event('unfollow', user)])).toBe(200);
    expect((await friendOf(user))?.friend).toEqual({ BOOL: false });
  });

  it('a delivery addressed to another bot is ignored: 200, nothing written', async () => {
    const user = newUser();
    const before = (await stack.scan('messaging')).length;
    expect(await post([follow(user)], `U${'f'.repeat(32)}`)).toBe(200);
    expect((await stack.scan('messaging')).length).toBe(before);
    expect(await auditOf(user)).toEqual([]);
  });
});
