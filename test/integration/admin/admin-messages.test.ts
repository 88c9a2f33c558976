import { randomUUID } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { signAdminRequest } from '../../../functions/local/sigv4.js';
import { adminCall, testAdminCredentials } from '../../support/admin-client.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../support/dynamo-fault-proxy.js';
import { call, type ApiResponse } from '../../support/http.js';
import { startLineFake, type LineFake } from '../../support/line-fake.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

const MESSAGING = { channelId: '2000000002', channelSecret: 'messaging-channel-secret-0123456789' };
const credentials = testAdminCredentials();
let stack: TestStack;
let fake: LineFake;
/** DynamoDB as the service sees it: every call passes through it, faults are injected there. */
let proxy: DynamoFaultProxy;
const dynamodbEndpoint = process.env.DYNAMODB_ENDPOINT!;
const acceptedKeys = new Set<string>();
/** Multicast requests LINE accepted: the deliveries (a repeated retry key is answered 409 and delivers nothing). */
const deliveries: Array<{ to: string[]; retryKey: string }> = [];
beforeAll(async () => {
  proxy = await startDynamoFaultProxy(dynamodbEndpoint);
  stack = await startTestStack(
    {
      DYNAMODB_ENDPOINT: proxy.endpoint,
      LINE_MESSAGING_CHANNEL_ID: MESSAGING.channelId,
      LINE_MESSAGING_CHANNEL_SECRET: MESSAGING.channelSecret,
    },
    { iam: credentials },
  );
  fake = await startLineFake(
    {
      'POST /oauth2/v3/token': (req) => {
        const form = new URLSearchParams(req.body);
        return form.get('client_id') === MESSAGING.channelId &&
          form.get('client_secret') === MESSAGING.channelSecret
          ? { status: 200, json: { token_type: 'Bearer', access_token: 'messaging-token', expires_in: 900 } }
          : { status: 400, json: { error: 'invalid_client' } };
      },
      'POST /v2/bot/message/multicast': (req) => {
        const key = String(req.headers['x-line-retry-key']);
        if (acceptedKeys.has(key))
          return { status: 409, json: { message: 'The retry key is already accepted' } };
        acceptedKeys.add(key);
        deliveries.push({ to: (JSON.parse(req.body) as { to: string[] }).to, retryKey: key });
        return { status: 200, json: {} };
      },
    },
    stack.line.url,
  );
  stack.configure({ LINE_API_BASE: fake.url });
});
afterAll(async () => {
  await stack.close();
  await fake.close();
  await proxy.close();
});

let seq = 0;
async function link(memberId: string) {
  const lineUserId = testLineUserId(`msg-${++seq}-${Date.now()}`);
  const created = await call(stack.api.url, 'POST', '/links', {
    token: await stack.line.mintIdToken({ userId: lineUserId }),
    json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
  });
  expect(created.status).toBe(201);
  return lineUserId;
}

/** What a follow / unfollow webhook sets on the link: `friend` on its LINE side. */
async function setFriend(lineUserId: string, friend: boolean) {
  await stack.dynamo.send(
    new UpdateItemCommand({
      TableName: stack.tables.links,
      Key: { pk: { S: `LINE#${lineUserId}` } },
      UpdateExpression: 'SET friend = :f',
      ExpressionAttributeValues: { ':f': { BOOL: friend } },
    }),
  );
}

const multicasts = () => fake.requests.filter((r) => r.path === '/v2/bot/message/multicast');
const post = (json: unknown) => adminCall(stack.api.url, 'POST', '/admin/messages', credentials, { json });
const TEXT = [{ type: 'text', text: 'お知らせ: 会員さま限定セールのご案内です。' }];

describe('POST /admin/messages', () => {
  test('sends to linked friends only and reports every member', async () => {
    const stamp = Date.now();
    const [a, b, c] = [`M-MSG-A-${stamp}`, `M-MSG-B-${stamp}`, `M-MSG-C-${stamp}`];
    const lineA = await link(a);
    await setFriend(await link(b), false);
    const before = multicasts().length;
    const response = await post({ to: [a, b, c], messages: TEXT });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      counts: { sent: 1, 'not-linked': 1, 'not-friend': 1, failed: 0 },
      results: [
        { companyUserId: a, status: 'sent' },
        { companyUserId: b, status: 'not-friend' },
        { companyUserId: c, status: 'not-linked' },
      ],
    });
    const sent = multicasts().slice(before);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body)).toEqual({ to: [lineA], messages: TEXT });
    expect(sent[0]!.headers.authorization).toBe('Bearer messaging-token');
    expect(sent[0]!.headers['x-line-retry-key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test.each([
    ['an empty list', { to: [], messages: TEXT }],
    ['an unknown message type', { to: ['M-1'], messages: [{ type: 'fax' }] }],
    ['too many messages', { to: ['M-1'], messages: Array(6).fill(TEXT[0]) }],
    ['no messages', { to: ['M-1'], messages: [] }],
  ])('%s → 400 and nothing sent', async (_label, body) => {
    const before = multicasts().length;
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid-request' });
    expect(multicasts().length).toBe(before);
  });

  test('unsigned → 403 and nothing sent', async () => {
    const before = multicasts().length;
    const response = await adminCall(stack.api.url, 'POST', '/admin/messages', undefined, {
      json: { to: ['M-1'], messages: TEXT },
    });
    expect(response.status).toBe(403);
    expect(multicasts().length).toBe(before);
  });

  test('1,200 recipients run as a job: 3 batches, one multicast each with its own retry key, a final report', async () => {
    const stamp = Date.now();
    const to = Array.from({ length: 1200 }, (_, i) => `M-JOB-${stamp}-${i}`);
    for (const i of [0, 600, 1100]) await link(to[i]!);
    const before = multicasts().length;
    const started = await post({ to, messages: TEXT });
    expect(started.status).toBe(202);
    const { jobId } = started.body as { jobId: string };
    expect(started.headers.get('location')).toBe(`/admin/messages/jobs/${jobId}`);

    let job: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) {
      job = (await adminCall(stack.api.url, 'GET', `/admin/messages/jobs/${jobId}`, credentials))
        .body as Record<string, unknown>;
      if (job.status === 'done') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(job).toMatchObject({
      jobId,
      status: 'done',
      total: 1200,
      batches: 3,
      batchesDone: 3,
      counts: { sent: 3, 'not-linked': 1197, 'not-friend': 0, failed: 0 },
    });
    const results = job.results as Array<{ companyUserId: string; status: string }>;
    expect(results).toHaveLength(1200);
    expect(results.filter((r) => r.status === 'sent').map((r) => r.companyUserId)).toEqual([
      to[0],
      to[600],
      to[1100],
    ]);
    const sent = multicasts().slice(before);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((r) => r.headers['x-line-retry-key'])).size).toBe(3);

    const unknown = await adminCall(
      stack.api.url,
      'GET',
      '/admin/messages/jobs/00000000-0000-0000-0000-000000000000',
      credentials,
    );
    expect(unknown).toMatchObject({ status: 404, body: { code: 'message-job-not-found' } });
  });
});

/** `POST /admin/messages` with an `Idempotency-Key`, signed as a company's SigV4 client signs it. */
async function postWithKey(json: unknown, key: string): Promise<ApiResponse> {
  const url = `${stack.api.url}/admin/messages`;
  const body = JSON.stringify(json);
  const headers = await signAdminRequest(
    url,
    { method: 'POST', body, headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"` } },
    credentials,
  );
  delete headers.host;
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
    text,
  };
}

/** The key's record in the jobs table (raw attribute values), found by its key. */
async function idempotencyRecord(key: string) {
  const items = await stack.scan('jobs');
  return items.find((item) => {
    const pk = (item.pk as { S?: string }).S ?? '';
    return pk.startsWith('IDEMPOTENCY#') && pk.endsWith(`#${key}`);
  }) as Record<string, { S?: string; N?: string; BOOL?: boolean }> | undefined;
}

/** Whether a DynamoDB request writes the claim of an idempotency key (raw attribute values). */
const writesClaim = (body: Record<string, unknown>) =>
  String((body.Item as { pk?: { S?: string } } | undefined)?.pk?.S).startsWith('IDEMPOTENCY#');

describe('POST /admin/messages with an Idempotency-Key', () => {
  beforeEach(() => proxy.clear());

  test('the same key and body twice: one delivery and the same answer; kept 24 hours', async () => {
    const member = `M-IDEM-${Date.now()}`;
    const lineUserId = await link(member);
    const key = randomUUID();
    const body = { to: [member, `${member}-unknown`], messages: TEXT };
    const before = deliveries.length;
    const sentAt = Math.floor(Date.now() / 1000);
    const first = await postWithKey(body, key);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      counts: { sent: 1, 'not-linked': 1, 'not-friend': 0, failed: 0 },
      results: [
        { companyUserId: member, status: 'sent' },
        { companyUserId: `${member}-unknown`, status: 'not-linked' },
      ],
    });
    const again = await postWithKey(body, key);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(deliveries.slice(before)).toEqual([{ to: [lineUserId], retryKey: expect.any(String) }]);

    const record = await idempotencyRecord(key);
    expect(record).toBeDefined();
    expect(record!.sk).toEqual({ S: 'IDEMPOTENCY' });
    expect(record!.done).toEqual({ BOOL: true });
    const expiresAt = Number(record!.expiresAt!.N);
    expect(expiresAt).toBeGreaterThanOrEqual(sentAt + 24 * 3600);
    expect(expiresAt).toBeLessThanOrEqual(sentAt + 24 * 3600 + 60);
    // No member ID is kept with the key: only the statuses, in request order.
    expect(JSON.stringify(record)).not.toContain(member);
  });

  test('the same key with another body → 422 idempotency-key-reused, nothing sent', async () => {
    const member = `M-IDEM-REUSE-${Date.now()}`;
    await link(member);
    const key = randomUUID();
    expect((await postWithKey({ to: [member], messages: TEXT }, key)).status).toBe(200);
    const before = deliveries.length;
    const other = await postWithKey({ to: [member], messages: [{ type: 'text', text: 'Another' }] }, key);
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect(other.body).toMatchObject({ code: 'idempotency-key-reused', status: 422 });
    expect(deliveries.length).toBe(before);
  });

  test('a key that is not 1 to 255 printable ASCII characters → 400, nothing sent', async () => {
    const before = deliveries.length;
    const response = await postWithKey({ to: ['M-1'], messages: TEXT }, 'k'.repeat(256));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'invalid-request',
      errors: [{ path: 'Idempotency-Key' }],
    });
    expect(deliveries.length).toBe(before);
  });

  test('5 identical requests at once: one delivery; each answer is the first one or 409 in progress', async () => {
    const member = `M-IDEM-RACE-${Date.now()}`;
    const lineUserId = await link(member);
    const key = randomUUID();
    const body = { to: [member], messages: TEXT };
    const before = deliveries.length;
    const answers = await Promise.all(Array.from({ length: 5 }, () => postWithKey(body, key)));
    const expected = {
      counts: { sent: 1, 'not-linked': 0, 'not-friend': 0, failed: 0 },
      results: [{ companyUserId: member, status: 'sent' }],
    };
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const answer of answers) {
      if (answer.status === 200) {
        expect(answer.body).toEqual(expected);
      } else {
        expect(answer.status).toBe(409);
        expect(answer.body).toMatchObject({ code: 'idempotency-key-in-progress' });
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    expect((await postWithKey(body, key)).body).toEqual(expected);
    expect(deliveries.slice(before)).toEqual([{ to: [lineUserId], retryKey: expect.any(String) }]);
  });

  test("the claim's answer lost (written, connection reset): sent once, answered normally", async () => {
    const member = `M-IDEM-LOST-${Date.now()}`;
    const lineUserId = await link(member);
    const key = randomUUID();
    const before = deliveries.length;
    proxy.inject({ operation: 'PutItem', table: stack.tables.jobs, kind: 'reset-after', when: writesClaim });
    const response = await postWithKey({ to: [member], messages: TEXT }, key);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ counts: { sent: 1 } });
    expect(
      proxy.calls.filter((c) => c.operation === 'PutItem' && writesClaim(c.body)).map((c) => c.fault),
    ).toEqual(['reset-after', undefined]);
    expect(deliveries.slice(before)).toEqual([{ to: [lineUserId], retryKey: expect.any(String) }]);
  });

  test('1,200 recipients: the same key twice is the same job and Location, its batches sent once', async () => {
    const stamp = Date.now();
    const startedAt = new Date(stamp).toISOString();
    const to = Array.from({ length: 1200 }, (_, i) => `M-IDEM-JOB-${stamp}-${i}`);
    for (const i of [0, 700]) await link(to[i]!);
    const key = randomUUID();
    const before = deliveries.length;
    // The transaction that writes the job with the key's answer loses its answer once.
    proxy.inject({ operation: 'TransactWriteItems', table: stack.tables.jobs, kind: 'reset-after' });
    const first = await postWithKey({ to, messages: TEXT }, key);
    expect(first.status).toBe(202);
    const creations = proxy.calls.filter(
      (c) =>
        c.operation === 'TransactWriteItems' &&
        (c.body.TransactItems as Array<{ Put?: { Item: { sk?: { S: string } } } }>)[0]?.Put?.Item.sk?.S ===
          'META',
    );
    expect(creations.map((c) => c.fault)).toEqual(['reset-after', undefined]);
    const again = await postWithKey({ to, messages: TEXT }, key);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    const { jobId } = first.body as { jobId: string };
    expect(again.headers.get('location')).toBe(`/admin/messages/jobs/${jobId}`);
    expect(first.headers.get('location')).toBe(`/admin/messages/jobs/${jobId}`);

    let job: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) {
      job = (await adminCall(stack.api.url, 'GET', `/admin/messages/jobs/${jobId}`, credentials))
        .body as Record<string, unknown>;
      if (job.status === 'done') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(job).toMatchObject({ status: 'done', batchesDone: 3, counts: { sent: 2, 'not-linked': 1198 } });
    expect(deliveries.length - before).toBe(2);
    // One job was created: its META written once, although its transaction was sent twice.
    const jobs = (await stack.scan('jobs')).filter(
      (item) => (item.sk as { S?: string }).S === 'META' && (item.createdAt as { S: string }).S >= startedAt,
    );
    expect(jobs.map((item) => (item.jobId as { S: string }).S)).toEqual([jobId]);
  });
});
