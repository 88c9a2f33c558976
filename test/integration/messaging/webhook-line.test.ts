import { createHmac, randomBytes } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DEFAULT_COMPANY_MEMBERS,
  DEFAULT_LINE_USERS,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { FAKE_BOT_USER_ID, startLineBotFake, type LineBotFake } from '../../support/line-bot-fake.js';
import { decide } from '../../support/oauth-browser.js';
import { OTHER_CHANNEL, startTestStack, type TestStack } from '../../support/test-stack.js';
import { TestBrowser } from '../../support/web-browser.js';

/**
 * `POST /webhook/line` and pattern 4 over HTTP: the real handlers behind the API Gateway adapter,
 * DynamoDB Local, the LINE and company IdP emulators, and an in-test fake of LINE's bot endpoints
 * (channel access token, bot info, link token, reply). Webhook bodies are signed here as LINE
 * signs them. Replies and link tokens are the webhook's queued work, done after its answer: a
 * delivery here waits for that work before the test looks at what LINE received.
 */

const MESSAGING = { channelId: '2000000101', channelSecret: 'messaging-channel-secret-0123456' };
const APP = 'https://app.example.com/linked';
const SATO = DEFAULT_LINE_USERS[0]!.userId;
const SUZUKI = DEFAULT_LINE_USERS[1]!.userId;
const TAKAHASHI = DEFAULT_LINE_USERS[2]!.userId;
const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!.memberId;
const ICHIRO = DEFAULT_COMPANY_MEMBERS[1]!.memberId;
const BOT = FAKE_BOT_USER_ID;

let stack: TestStack;
let bot: LineBotFake;
let api: string;

beforeAll(async () => {
  bot = await startLineBotFake(MESSAGING);
  stack = await startTestStack({
    APP_RETURN_URLS: APP,
    LINE_API_BASE: bot.url,
    LINE_MESSAGING_CHANNEL_ID: MESSAGING.channelId,
    LINE_MESSAGING_CHANNEL_SECRET: MESSAGING.channelSecret,
    LINE_LINK_POSTBACK_DATA: 'action=link',
  });
  bot.upstream = stack.line.url;
  api = stack.api.url;
});

afterAll(async () => {
  await stack.close();
  await bot.close();
});

// ------------------------------------------------------------------ helpers

const sign = (body: string | Buffer, secret = MESSAGING.channelSecret) =>
  createHmac('sha256', secret).update(body).digest('base64');

// Event times follow the real clock: friendship learned at link time is stamped with it.
let clock = Date.now();
const eventId = () => `01J${randomBytes(12).toString('hex').toUpperCase()}`;

function event(type: string, userId: string, extra: Record<string, unknown> = {}) {
  return {
    type,
    mode: 'active',
    timestamp: (clock = Math.max(clock + 1000, Date.now())),
    source: { type: 'user', userId },
    webhookEventId: eventId(),
    deliveryContext: { isRedelivery: false },
    ...extra,
  };
}
const follow = (userId: string) =>
  event('follow', userId, { replyToken: randomBytes(8).toString('hex'), follow: { isUnblocked: false } });
const unfollow = (userId: string) => event('unfollow', userId);
const accountLink = (userId: string, nonce: string, result: 'ok' | 'failed' = 'ok') =>
  event('accountLink', userId, { replyToken: randomBytes(8).toString('hex'), link: { result, nonce } });

const bodyOf = (events: unknown[]) => JSON.stringify({ destination: BOT, events });

async function post(
  body: string | Buffer,
  options: { signature?: string | null; contentType?: string } = {},
): Promise<{ status: number; type: string | null; json: Record<string, unknown> | undefined }> {
  const signature = options.signature === undefined ? sign(body) : options.signature;
  const res = await fetch(`${api}/webhook/line`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json; charset=utf-8',
      ...(signature === null ? {} : { 'x-line-signature': signature }),
    },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

/** Delivers the events in one body (200 expected), then waits for the LINE work they queued. */
const deliver = async (...events: unknown[]) => {
  const res = await post(bodyOf(events));
  expect(res.status).toBe(200);
  await stack.webhookWorkDone();
  return res;
};

const str = (value: unknown) => (value as { S?: string } | undefined)?.S;
const lineItem = async (userId: string) =>
  (await stack.scan('links')).find((item) => str(item.pk) === `LINE#${userId}`);
const companyItem = async (companyUserId: string) =>
  (await stack.scan('links')).find((item) => str(item.pk) === `COMPANY#${companyUserId}`);
const auditOf = async (userId: string) =>
  (await stack.scan('audit')).filter((item) => str(item.lineUserId) === userId).map((i) => str(i.type));

/** A pending account link of `companyUserId`, bound to the LINE user whose link token started it. */
async function putNonce(
  companyUserId: string,
  lineUserId: string,
  expiresAt = Math.floor(Date.now() / 1000) + 600,
) {
  const nonce = randomBytes(24).toString('base64url');
  await stack.dynamo.send(
    new PutItemCommand({
      TableName: stack.tables.messaging,
      Item: {
        pk: { S: `NONCE#${nonce}` },
        companyUserId: { S: companyUserId },
        lineUserId: { S: lineUserId },
        expiresAt: { N: String(expiresAt) },
      },
    }),
  );
  return nonce;
}

/** The linking URL the bot replied to `userId`'s follow with (a link token the bot issued for them). */
async function linkingUrlFor(userId: string): Promise<URL> {
  await deliver(follow(userId));
  const issued = bot.linkTokens.filter((t) => t.userId === userId).at(-1)!;
  expect(issued).toBeDefined();
  const url = JSON.stringify(bot.replies.at(-1)).match(
    /https?:\/\/[^"\s]+\/account-link\/start\?linkToken=[^"\s]+/,
  )?.[0];
  expect(url).toBe(`${api}/account-link/start?linkToken=${issued.linkToken}`);
  return new URL(url!);
}

async function stateOfTables() {
  // Anything a request queued has run by then.
  await stack.webhookWorkDone();
  return {
    messaging: (await stack.scan('messaging')).length,
    links: (await stack.scan('links')).length,
    audit: (await stack.scan('audit')).length,
    replies: bot.replies.length,
    // (Not the channel access tokens: a cold start learns the bot's user ID in the background.)
    linkTokens: bot.linkTokens.length,
  };
}

// ------------------------------------------------------------------ signature

describe('POST /webhook/line signature', () => {
  const body = () => bodyOf([follow(TAKAHASHI)]);

  it.each([
    ['missing', () => null],
    ['wrong', () => randomBytes(32).toString('base64')],
    ['not base64 at all', () => 'not a signature!'],
    ['from another channel secret', (b: string) => sign(b, OTHER_CHANNEL.channelSecret)],
  ])('refuses a %s signature with 401 problem+json and does nothing', async (_, signatureFor) => {
    const before = await stateOfTables();
    const b = body();
    const res = await post(b, { signature: signatureFor(b) });
    expect(res.status).toBe(401);
    expect(res.type).toBe('application/problem+json');
    expect(res.json).toMatchObject({ code: 'invalid-webhook-signature', status: 401 });
    expect(await stateOfTables()).toEqual(before);
  });

  it('refuses a body with one byte changed after signing', async () => {
    const before = await stateOfTables();
    const original = Buffer.from(bodyOf([follow(TAKAHASHI)]), 'utf8');
    const signature = sign(original);
    const tampered = Buffer.from(original);
    const at = tampered.indexOf('follow');
    tampered[at] = 'F'.charCodeAt(0);
    const res = await post(tampered, { signature });
    expect(res.status).toBe(401);
    expect(await stateOfTables()).toEqual(before);
  });

  it('checks the exact bytes of a body API Gateway handed over base64-encoded', async () => {
    // A non-text content type makes the gateway (and the local adapter) base64-encode the body.
    const b = bodyOf([unfollow(TAKAHASHI)]);
    const ok = await post(Buffer.from(b), { contentType: 'application/octet-stream' });
    expect(ok.status).toBe(200);
    const bad = await post(Buffer.from(b), {
      contentType: 'application/octet-stream',
      signature: sign(`${b} `),
    });
    expect(bad.status).toBe(401);
  });

  it('answers LINE URL verification (no events) with 200 and stores nothing', async () => {
    const before = await stateOfTables();
    const res = await post(bodyOf([]));
    expect(res.status).toBe(200);
    expect(await stateOfTables()).toEqual(before);
  });

  it('answers signed malformed JSON with 400, and a body without events with 400', async () => {
    const malformed = await post('{"destination":');
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ code: 'malformed-json' });
    const noEvents = await post(JSON.stringify({ destination: BOT }));
    expect(noEvents.status).toBe(400);
    expect(noEvents.json).toMatchObject({ code: 'invalid-request' });
  });
});

// ------------------------------------------------------------------ reachability

describe('follow / unfollow', () => {
  it('offers the linking URL to a new friend, with LINE unlink notice', async () => {
    await deliver(follow(SUZUKI));
    const issued = bot.linkTokens.filter((t) => t.userId === SUZUKI).at(-1)!;
    expect(issued).toBeDefined();
    const reply = JSON.stringify(bot.replies.at(-1));
    expect(reply).toContain(`${api}/account-link/start?linkToken=${issued.linkToken}`);
    expect(reply).toContain('unlink your accounts at any time');
    expect(bot.unauthorized).toBe(0);
    // Stateless channel access tokens are cached across requests: a second follow gets none.
    const tokens = bot.tokensIssued;
    await deliver(follow(TAKAHASHI));
    expect(bot.tokensIssued).toBe(tokens);
    expect(bot.replies.at(-1)).toBeDefined();
  });

  it('applies a redelivered event once', async () => {
    const first = follow(SUZUKI);
    await deliver(first);
    const replies = bot.replies.length;
    const audits = (await auditOf(SUZUKI)).length;
    await deliver({ ...first, deliveryContext: { isRedelivery: true } });
    expect(bot.replies.length).toBe(replies);
    expect((await auditOf(SUZUKI)).length).toBe(audits);
  });

  it('lets the newest event win, whatever the order of delivery', async () => {
    // A link to mark, made through pattern 4's nonce.
    const nonce = await putNonce(ICHIRO, SATO);
    await deliver(accountLink(SATO, nonce));
    expect(str((await lineItem(SATO))?.companyUserId)).toBe(ICHIRO);

    const older = follow(SATO);
    const newer = unfollow(SATO);
    await deliver(newer);
    expect((await lineItem(SATO))?.friend).toEqual({ BOOL: false });
    await deliver(older); // the older follow arrives late
    expect((await lineItem(SATO))?.friend).toEqual({ BOOL: false });
    expect(str((await lineItem(SATO))?.friendUpdatedAt)).toBe(new Date(newer.timestamp).toISOString());

    // In one body listed newest first, applied in event-time order: the follow (newest) wins.
    const a = unfollow(SATO);
    const b = follow(SATO);
    await deliver(b, a);
    expect((await lineItem(SATO))?.friend).toEqual({ BOOL: true });
    // The link itself is kept on unfollow (default setting).
    expect(str((await companyItem(ICHIRO))?.lineUserId)).toBe(SATO);
  });
});

describe('friend on links made with a LINE access token', () => {
  it('asks the friendship status API at link time; GET /links/me and follow/unfollow show it', async () => {
    const user = DEFAULT_LINE_USERS[3]!.userId;
    bot.friends.add(user);
    const accessToken = await stack.line.mintAccessToken({ userId: user });
    const companyIdToken = await stack.company.mintIdToken({ sub: DEFAULT_COMPANY_MEMBERS[3]!.memberId });
    const created = await fetch(`${api}/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ companyIdToken }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ lineUserId: user, friend: true });

    const me = async () =>
      (await (
        await fetch(`${api}/links/me`, { headers: { authorization: `Bearer ${accessToken}` } })
      ).json()) as Record<string, unknown>;
    expect(await me()).toMatchObject({ friend: true, method: 'oidc' });
    await deliver(unfollow(user));
    expect(await me()).toMatchObject({ friend: false });

    // A link made with an ID token knows nothing yet: friend is null.
    const idToken = await stack.line.mintIdToken({ userId: `U${'9'.repeat(32)}` });
    const unknown = await fetch(`${api}/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ companyIdToken: await stack.company.mintIdToken({ sub: 'M-NO-FRIEND' }) }),
    });
    expect(unknown.status).toBe(201);
    expect(await unknown.json()).toMatchObject({ friend: null });
  });
});

describe('friend taken over by a new link (the link transaction reads the known friendship)', () => {
  const postLink = async (lineToken: string, memberId: string) => {
    const res = await fetch(`${api}/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${lineToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ companyIdToken: await stack.company.mintIdToken({ sub: memberId }) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const user = (label: string) => testLineUserId(`friend-at-link-${label}-${randomBytes(4).toString('hex')}`);
  // A follow without a reply token: no linking URL is offered, only the friendship recorded.
  const quietFollow = (userId: string) => event('follow', userId, { follow: { isUnblocked: false } });

  it('a follow recorded before an ID-token link ends on the link and in the answer', async () => {
    const userId = user('before');
    const followed = quietFollow(userId);
    await deliver(followed);
    const created = await postLink(await stack.line.mintIdToken({ userId }), `M-FOLLOWED-${userId}`);
    expect(created.status).toBe(201);
    const at = new Date(followed.timestamp).toISOString();
    expect(created.body).toMatchObject({ lineUserId: userId, friend: true, friendUpdatedAt: at });
    expect(await lineItem(userId)).toMatchObject({ friend: { BOOL: true }, friendUpdatedAt: { S: at } });
  });

  it("an access token's link keeps a newer state the webhook recorded over LINE's answer", async () => {
    const userId = user('newer');
    bot.friends.add(userId);
    // An unfollow stamped after the link's own time (within the clock skew the webhook allows):
    // LINE's answer (friend, now) is older.
    const blocked = event('unfollow', userId, { timestamp: Date.now() + 30_000 });
    await deliver(blocked);
    const created = await postLink(await stack.line.mintAccessToken({ userId }), `M-NEWER-${userId}`);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ friend: false });
    expect(await lineItem(userId)).toMatchObject({
      friend: { BOOL: false },
      friendUpdatedAt: { S: new Date(blocked.timestamp).toISOString() },
    });
  });

  it("LINE's friendship API down: an access token's link takes over what the webhook knew", async () => {
    const userId = user('down');
    await deliver(quietFollow(userId));
    bot.friendshipDown = true;
    try {
      const created = await postLink(await stack.line.mintAccessToken({ userId }), `M-DOWN-${userId}`);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ friend: true });
    } finally {
      bot.friendshipDown = false;
    }
  });

  it('a follow delivered while POST /links runs ends on the link, every time (30 races)', async () => {
    const users = Array.from({ length: 30 }, (_, i) => user(`race-${i}`));
    const tokens = await Promise.all(users.map((userId) => stack.line.mintIdToken({ userId })));
    // Five races at a time: each is a follow and a link of one user at once. The environments of
    // both functions are started first (the deployed-artifact mode starts one per concurrent
    // request), so the races are between the writes, not between cold starts.
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        expect((await post(bodyOf([]))).status).toBe(200);
        expect((await fetch(`${api}/links`, { method: 'POST' })).status).toBe(401);
      }),
    );
    for (let from = 0; from < users.length; from += 5) {
      await Promise.all(
        users.slice(from, from + 5).map(async (userId, i) => {
          const [, created] = await Promise.all([
            deliver(quietFollow(userId)),
            postLink(tokens[from + i]!, `M-RACE-${userId}`),
          ]);
          expect(created.status).toBe(201);
        }),
      );
    }
    for (const userId of users) expect((await lineItem(userId))?.friend).toEqual({ BOOL: true });
  });
});

// ------------------------------------------------------------------ pattern 4

describe('accountLink', () => {
  it('links with the nonce of the company sign-in, through the linking URL, end to end', async () => {
    const linking = await linkingUrlFor(TAKAHASHI);
    const browser = new TestBrowser();
    const start = await browser.get(linking.href);
    expect(start.status).toBe(302);
    expect(start.location!.startsWith(`${stack.company.url}/authorize?`)).toBe(true);
    const callback = await browser.get(await decide(start.location!, HANAKO));
    expect(callback.status).toBe(302);
    const dialog = new URL(callback.location!);
    expect(`${dialog.origin}${dialog.pathname}`).toBe(`${stack.line.url}/dialog/bot/accountLink`);
    expect(dialog.searchParams.get('linkToken')).toBe(linking.searchParams.get('linkToken'));
    const nonce = dialog.searchParams.get('nonce')!;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{10,255}$/);
    expect(Buffer.from(nonce, 'base64url').length * 8).toBeGreaterThanOrEqual(128);

    await deliver(accountLink(TAKAHASHI, nonce));
    const item = await lineItem(TAKAHASHI);
    expect(str(item?.companyUserId)).toBe(HANAKO);
    expect(str(item?.method)).toBe('account-link');
    expect(await auditOf(TAKAHASHI)).toContain('link');
    // Takahashi followed (for the linking URL): the new link knows it.
    expect(item?.friend).toEqual({ BOOL: true });
    expect(JSON.stringify(bot.replies.at(-1))).toContain('now linked');

    // Reused: the same nonce again (another event, another user) links nothing.
    const before = (await stack.scan('links')).length;
    await deliver(accountLink(SUZUKI, nonce));
    expect(await lineItem(SUZUKI)).toBeUndefined();
    expect((await stack.scan('links')).length).toBe(before);
  });

  it('refuses the company callback of the account-link leg in a browser that did not start it', async () => {
    const victim = new TestBrowser();
    const start = await victim.get((await linkingUrlFor(SUZUKI)).href);
    const callbackUrl = await decide(start.location!, ICHIRO);
    const nonces = (await stack.scan('messaging')).filter((i) => str(i.pk)?.startsWith('NONCE#')).length;
    const attacker = new TestBrowser();
    const hop = await attacker.get(callbackUrl);
    expect(hop.status).toBe(400);
    expect(hop.location).toBeNull();
    expect(hop.body).toContain('login-state-not-bound');
    expect((await stack.scan('messaging')).filter((i) => str(i.pk)?.startsWith('NONCE#')).length).toBe(
      nonces,
    );
  });

  it('refuses a missing, malformed or never issued link token without storing a session', async () => {
    const sessions = (await stack.scan('sessions')).length;
    for (const query of [
      '',
      '?linkToken=',
      '?linkToken=%3Cscript%3E',
      '?linkToken=link-token-never-issued',
    ]) {
      const hop = await new TestBrowser().get(`${api}/account-link/start${query}`);
      expect(hop.status).toBe(400);
    }
    expect((await stack.scan('sessions')).length).toBe(sessions);
  });

  it.each([
    ['unknown', async () => randomBytes(24).toString('base64url'), 'ok' as const],
    [
      'expired',
      async (user: string) => putNonce('M-EXPIRED', user, Math.floor(Date.now() / 1000) - 1),
      'ok' as const,
    ],
    ['failed', async (user: string) => putNonce('M-FAILED', user), 'failed' as const],
    ['bound to another LINE user', async () => putNonce('M-OTHER', SUZUKI), 'ok' as const],
  ])('links nothing for a nonce: %s', async (_, nonceFor, result) => {
    const user = `U${randomBytes(16).toString('hex')}`;
    const nonce = await nonceFor(user);
    await deliver(accountLink(user, nonce, result));
    expect(await lineItem(user)).toBeUndefined();
    if (result === 'failed') {
      // The failed result burnt the nonce: an `ok` with it later links nothing either.
      await deliver(accountLink(user, nonce, 'ok'));
      expect(await lineItem(user)).toBeUndefined();
    }
  });

  it('links exactly once when events race for one nonce', async () => {
    const company = `M-RACE-${randomBytes(3).toString('hex')}`;
    const owner = `U${randomBytes(16).toString('hex')}`;
    const other = `U${randomBytes(16).toString('hex')}`;
    const nonce = await putNonce(company, owner);
    // Two events of the nonce's own user (distinct event IDs) and one of another user, at once.
    const users = [owner, owner, other];
    const results = await Promise.all(users.map((u) => post(bodyOf([accountLink(u, nonce)]))));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    await stack.webhookWorkDone();
    expect(await lineItem(other)).toBeUndefined();
    expect(str((await lineItem(owner))?.companyUserId)).toBe(company);
    expect((await auditOf(owner)).filter((type) => type === 'link')).toHaveLength(1);
  });

  it('refuses a nonce of a company user already linked elsewhere, leaving the first link unchanged', async () => {
    const company = `M-TAKEN-${randomBytes(3).toString('hex')}`;
    const first = `U${randomBytes(16).toString('hex')}`;
    const second = `U${randomBytes(16).toString('hex')}`;
    await deliver(accountLink(first, await putNonce(company, first)));
    const before = await companyItem(company);
    expect(str(before?.lineUserId)).toBe(first);

    await deliver(accountLink(second, await putNonce(company, second)));
    expect(await lineItem(second)).toBeUndefined();
    expect(await companyItem(company)).toEqual(before);
    expect(await auditOf(second)).toEqual(['conflict']);
    expect(JSON.stringify(bot.replies.at(-1))).toContain('already linked to another LINE account');
  });
});
