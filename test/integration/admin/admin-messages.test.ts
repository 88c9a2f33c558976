import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { adminCall, testAdminCredentials } from '../../support/admin-client.js';
import { call } from '../../support/http.js';
import { startLineFake, type LineFake } from '../../support/line-fake.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

const MESSAGING = { channelId: '2000000002', channelSecret: 'messaging-channel-secret-0123456789' };
const credentials = testAdminCredentials();
let stack: TestStack;
let fake: LineFake;
const acceptedKeys = new Set<string>();
beforeAll(async () => {
  stack = await startTestStack(
    {
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
        return { status: 200, json: {} };
      },
    },
    stack.line.url,
  );
  process.env.LINE_API_BASE = fake.url;
});
afterAll(async () => {
  await stack.close();
  await fake.close();
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
