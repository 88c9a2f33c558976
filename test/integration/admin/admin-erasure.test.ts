import { createHmac, randomBytes } from 'node:crypto';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { TABLES, type TableKey } from '../../../functions/manifest/table-definitions.js';
import { adminCall, testAdminCredentials } from '../../support/admin-client.js';
import { call } from '../../support/http.js';
import { startLineBotFake, type LineBotFake } from '../../support/line-bot-fake.js';
import { TEST_PEPPER } from '../../support/member-data.js';
import { decide } from '../../support/oauth-browser.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';
import { TestBrowser } from '../../support/web-browser.js';

/**
 * An erasure request (`POST /admin/links/company/{id}/unlink`, reason `erasure-request`) after
 * everything a member leaves behind: a link, an unlink, a relink to another LINE user, their
 * friendships, a failed attempt, a pending account link (pattern 4's nonce, through the linking
 * URL) and a message job. Afterwards no table holds the member number or any of the LINE user
 * IDs in clear, the job's counts still add up, and LINE's later `accountLink` event with the
 * cancelled nonce links nothing. Real handlers and DynamoDB Local (this suite also runs in the
 * deployed-artifact mode, where each AWS call is checked against the function's role).
 */

const MESSAGING = { channelId: '2000000401', channelSecret: 'messaging-channel-secret-erasure-01' };
const BOT = `U${'0'.repeat(32)}`;
const credentials = testAdminCredentials();
let stack: TestStack;
let bot: LineBotFake;

beforeAll(async () => {
  bot = await startLineBotFake(MESSAGING);
  stack = await startTestStack(
    {
      MEMBER_HASH_PEPPER: TEST_PEPPER,
      MEMBER_FACTORS: 'birthDate,postalCode',
      LINE_API_BASE: bot.url,
      LINE_MESSAGING_CHANNEL_ID: MESSAGING.channelId,
      LINE_MESSAGING_CHANNEL_SECRET: MESSAGING.channelSecret,
      LINE_BOT_USER_ID: BOT,
      APP_RETURN_URLS: 'https://app.example.com/linked',
    },
    { iam: credentials },
  );
  bot.upstream = stack.line.url;
}, 60_000);
afterAll(async () => {
  await stack.close();
  await bot.close();
});

const api = () => stack.api.url;
const admin = (method: string, path: string, json?: unknown) =>
  adminCall(api(), method, path, credentials, { json });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function postLink(lineUserId: string, memberId: string) {
  return call(api(), 'POST', '/links', {
    token: await stack.line.mintIdToken({ userId: lineUserId }),
    json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
  });
}

/** Posts signed webhook events as LINE does. */
async function webhook(...events: Array<Record<string, unknown>>) {
  const body = JSON.stringify({ destination: BOT, events });
  const res = await fetch(`${api()}/webhook/line`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-line-signature': createHmac('sha256', MESSAGING.channelSecret).update(body).digest('base64'),
    },
    body,
  });
  expect(res.status).toBe(200);
}
const event = (type: string, userId: string, extra: Record<string, unknown> = {}) => ({
  type,
  mode: 'active',
  timestamp: Date.now(),
  source: { type: 'user', userId },
  webhookEventId: `01J${randomBytes(12).toString('hex').toUpperCase()}`,
  deliveryContext: { isRedelivery: false },
  replyToken: randomBytes(8).toString('hex'),
  ...extra,
});

/** Every item of one of the suite's tables, as plain values (paginated, consistent). */
async function items(table: TableKey): Promise<Array<Record<string, unknown>>> {
  const all: Array<Record<string, unknown>> = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await stack.dynamo.send(
      new ScanCommand({ TableName: stack.tables[table], ConsistentRead: true, ExclusiveStartKey: start }),
    );
    all.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey;
  } while (start);
  return all;
}

/** Each table's items, each serialized, for searching. */
async function everyTable(): Promise<Record<TableKey, string[]>> {
  const keys = Object.keys(TABLES) as TableKey[];
  const texts = await Promise.all(keys.map(async (t) => (await items(t)).map((i) => JSON.stringify(i))));
  return Object.fromEntries(keys.map((t, i) => [t, texts[i]!])) as Record<TableKey, string[]>;
}

/** The items, per table, whose text contains `value` (their first 300 characters). */
function holding(tables: Record<TableKey, string[]>, value: string): Partial<Record<TableKey, string[]>> {
  const found: Partial<Record<TableKey, string[]>> = {};
  for (const [table, texts] of Object.entries(tables) as Array<[TableKey, string[]]>) {
    // Shortened: a job batch is long, and the start of an item says which one it is.
    const hits = texts.filter((text) => text.includes(value)).map((text) => text.slice(0, 300));
    if (hits.length) found[table] = hits;
  }
  return found;
}

async function until<T>(what: string, read: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

describe('erasure request', () => {
  test('leaves no member number or LINE user ID of the member in any table, and cancels its pending account link', async () => {
    const stamp = randomBytes(4).toString('hex');
    const member = `M-ERASE-${stamp}`;
    stack.company.members.push({
      memberId: member,
      name: '消去 太郎',
      birthDate: '1990-01-01',
      postalCode: '1000001',
      phone: '0300000000',
      email: `erase-${stamp}@example.com`,
    });
    const first = testLineUserId(`erase-first-${stamp}`);
    const second = testLineUserId(`erase-second-${stamp}`);
    const bystander = testLineUserId(`erase-bystander-${stamp}`);
    const neighbour = `M-KEEP-${stamp}`;

    // A neighbour whose data must stay: linked, friend, in the same job.
    expect((await postLink(bystander, neighbour)).status).toBe(201);
    await webhook(event('follow', bystander, { follow: { isUnblocked: false } }));

    // The first LINE user: a failed attempt (counters), the link, a friendship, the unlink.
    const failed = await call(api(), 'POST', '/links/by-record', {
      token: await stack.line.mintIdToken({ userId: first }),
      json: { memberId: member, factors: { birthDate: '1901-01-01', postalCode: '1000001' } },
    });
    expect(failed.status).toBe(422);
    expect((await postLink(first, member)).status).toBe(201);
    await webhook(event('follow', first, { follow: { isUnblocked: false } }));
    const unlinked = await call(api(), 'DELETE', '/links/me', {
      token: await stack.line.mintIdToken({ userId: first }),
    });
    expect(unlinked.status).toBe(204);

    // Another LINE user follows the Official Account (not linked: it is offered the linking
    // URL), then links to the same member: the relink.
    await webhook(event('follow', second, { follow: { isUnblocked: false } }));
    const linkToken = await until(
      'the link token of the follow',
      () => bot.linkTokens.find((t) => t.userId === second)?.linkToken,
    );
    expect((await postLink(second, member)).status).toBe(201);

    // A pending account link: the linking URL, the company sign-in, the nonce (LINE's dialog not finished).
    const browser = new TestBrowser();
    const start = await browser.get(`${api()}/account-link/start?linkToken=${encodeURIComponent(linkToken)}`);
    expect(start.status).toBe(302);
    const callback = await browser.get(await decide(start.location!, member));
    expect(callback.status).toBe(302);
    const nonce = new URL(callback.location!).searchParams.get('nonce')!;
    expect(nonce).toBeTruthy();

    // A message job (more than one multicast's worth) to the member and others, run to the end.
    const to = [member, neighbour, ...Array.from({ length: 600 }, (_, i) => `M-ERASE-JOB-${stamp}-${i}`)];
    const started = await admin('POST', '/admin/messages', {
      to,
      messages: [{ type: 'text', text: 'お知らせ' }],
    });
    expect(started.status).toBe(202);
    const { jobId } = started.body as { jobId: string };
    const jobBefore = await until('the job to finish', async () => {
      const job = (await admin('GET', `/admin/messages/jobs/${jobId}`)).body as Record<string, unknown>;
      return job.status === 'done' ? job : undefined;
    });

    // An audience job naming the member (linked: its LINE user uploaded) and the neighbour.
    const audience = await admin('POST', '/admin/audiences', {
      description: `erasure ${stamp}`,
      memberIds: [member, neighbour, `M-ERASE-AUD-${stamp}`],
    });
    expect(audience.status).toBe(202);
    const audienceJobId = (audience.body as { jobId: string }).jobId;
    const audienceBefore = await until('the audience job to finish', async () => {
      const job = (await admin('GET', `/admin/audiences/jobs/${audienceJobId}`)).body as Record<
        string,
        unknown
      >;
      if (job.status === 'failed') throw new Error(JSON.stringify(job));
      return job.status === 'done' ? job : undefined;
    });
    expect(audienceBefore).toMatchObject({ counts: { linked: 2, notLinked: 1, uploaded: 2 } });
    expect([...bot.audiences.values()].at(-1)?.userIds).toEqual(expect.arrayContaining([second]));

    // Everything is there before.
    const before = await everyTable();
    for (const value of [member, first, second]) expect(holding(before, value)).not.toEqual({});
    expect(holding(before, first).messaging).toBeDefined(); // the former LINE user's friendship
    expect(holding(before, member).messaging).toBeDefined(); // the nonce
    expect(holding(before, member).jobs).toBeDefined();

    const erased = await admin('POST', `/admin/links/company/${member}/unlink`, {
      reason: 'erasure-request',
    });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ companyUserId: member, unlinked: true, reason: 'erasure-request' });

    // Nothing in clear, in any table.
    const after = await everyTable();
    expect({
      member: holding(after, member),
      first: holding(after, first),
      second: holding(after, second),
    }).toEqual({ member: {}, first: {}, second: {} });
    // The neighbour is untouched: link, friendship, job entries.
    expect(holding(after, neighbour).links).toHaveLength(2);
    expect(holding(after, bystander).messaging).toBeDefined();
    expect(holding(after, neighbour).jobs).toBeDefined();
    // The audit trail kept every event of the member, under pseudonyms.
    const pseudonymized = (await items('audit')).filter((i) => String(i.pk).startsWith('PSEUDONYM#'));
    expect(new Set(pseudonymized.map((i) => i.pk)).size).toBe(2); // both LINE users' histories
    expect(pseudonymized.map((i) => i.type)).toEqual(expect.arrayContaining(['link', 'unlink', 'follow']));

    // The job still adds up: same totals and counts, the member's entry under its pseudonym.
    const jobAfter = (await admin('GET', `/admin/messages/jobs/${jobId}`)).body as Record<string, unknown>;
    const { results: resultsBefore, ...summaryBefore } = jobBefore as { results: unknown[] };
    const { results: resultsAfter, ...summaryAfter } = jobAfter as {
      results: Array<{ companyUserId: string; status: string }>;
    };
    expect(summaryAfter).toEqual(summaryBefore);
    expect(resultsAfter).toHaveLength(resultsBefore.length);
    expect(resultsAfter.filter((r) => r.companyUserId.startsWith('pseudonym:'))).toHaveLength(1);

    // The audience job too: same counts, the member's entries under pseudonyms or gone.
    const audienceAfter = (await admin('GET', `/admin/audiences/jobs/${audienceJobId}`)).body;
    expect(audienceAfter).toEqual(audienceBefore);

    // LINE's accountLink event for the cancelled nonce links nothing.
    await webhook(event('accountLink', second, { link: { result: 'ok', nonce } }));
    await sleep(200);
    const links = await items('links');
    expect(links.filter((l) => l.companyUserId === member || l.lineUserId === second)).toEqual([]);
  }, 60_000);
});
