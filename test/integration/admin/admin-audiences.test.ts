import { randomUUID } from 'node:crypto';
import { createDocumentClient } from '../../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoAudienceJobStore } from '../../../functions/adapters/dynamo/dynamo-audience-job-store.js';
import { DynamoAuditLog } from '../../../functions/adapters/dynamo/dynamo-audit-log.js';
import { DynamoLinkRepository } from '../../../functions/adapters/dynamo/dynamo-link-repository.js';
import { LineAudienceClient } from '../../../functions/adapters/line/line-audience-client.js';
import { LineChannelTokenClient } from '../../../functions/adapters/line/line-channel-token-client.js';
import { uploadDescriptionFor } from '../../../functions/core/audiences.js';
import { systemClock } from '../../../functions/core/ports/index.js';
import { runAudienceJob, type RunAudienceJobPorts } from '../../../functions/core/use-cases/audience-jobs.js';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { adminCall, testAdminCredentials } from '../../support/admin-client.js';
import { call } from '../../support/http.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * `POST /admin/audiences` and `GET /admin/audiences/jobs/{jobId}` against DynamoDB Local and the
 * LINE emulator's audience endpoints: the job runs after the answer (the in-process queue, or the
 * deployed worker), and the emulator ends up holding exactly the linked members' LINE users.
 */

const credentials = testAdminCredentials();
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({}, { iam: credentials });
  const { channelId, channelSecret } = stack.line.messaging.channel;
  stack.configure({ LINE_MESSAGING_CHANNEL_ID: channelId, LINE_MESSAGING_CHANNEL_SECRET: channelSecret });
});
afterAll(async () => {
  await stack.close();
});
afterEach(() => stack.line.messaging.setRateLimit(0));

let seq = 0;
async function link(memberId: string) {
  const lineUserId = testLineUserId(`aud-${++seq}-${Date.now()}`);
  const created = await call(stack.api.url, 'POST', '/links', {
    token: await stack.line.mintIdToken({ userId: lineUserId }),
    json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
  });
  expect(created.status).toBe(201);
  return lineUserId;
}

const post = (json: unknown) => adminCall(stack.api.url, 'POST', '/admin/audiences', credentials, { json });

async function finished(jobId: string): Promise<Record<string, unknown>> {
  let job: Record<string, unknown> = {};
  for (let i = 0; i < 150; i++) {
    job = (await adminCall(stack.api.url, 'GET', `/admin/audiences/jobs/${jobId}`, credentials))
      .body as Record<string, unknown>;
    if (job.status !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return job;
}

const audiences = () => stack.line.messaging.audiences;
const audienceItems = async () =>
  (await stack.scan('jobs')).filter((item) => String((item.pk as { S?: string }).S).startsWith('AUDIENCE#'));

describe('POST /admin/audiences', () => {
  test('creates an audience of exactly the linked members and reports the others', async () => {
    const stamp = Date.now();
    const [a, b, c] = [`M-AUD-A-${stamp}`, `M-AUD-B-${stamp}`, `M-AUD-C-${stamp}`];
    const lineA = await link(a);
    const lineB = await link(b);
    const started = await post({ description: `会員 ${stamp}`, memberIds: [a, b, c, a] });
    expect(started.status).toBe(202);
    const { jobId } = started.body as { jobId: string };
    expect(started.headers.get('location')).toBe(`/admin/audiences/jobs/${jobId}`);
    expect(started.body).toMatchObject({ status: 'running', mode: 'create', counts: { requested: 3 } });

    const job = await finished(jobId);
    expect(job).toMatchObject({
      jobId,
      status: 'done',
      mode: 'create',
      description: `会員 ${stamp}`,
      counts: { requested: 3, linked: 2, notLinked: 1, uploaded: 2 },
      chunks: 1,
      chunksDone: 1,
      createAttempts: 1,
      errors: [],
      notLinkedMemberIds: [c],
    });
    const audience = audiences().get(job.audienceGroupId as number)!;
    expect(audience.description).toBe(`会員 ${stamp}`);
    expect(audience.userIds).toEqual(new Set([lineA, lineB]));
    expect(audience.jobs.map((j) => j.description)).toEqual([uploadDescriptionFor(jobId)]);

    const unknown = await adminCall(
      stack.api.url,
      'GET',
      `/admin/audiences/jobs/${randomUUID()}`,
      credentials,
    );
    expect(unknown).toMatchObject({ status: 404, body: { code: 'audience-job-not-found' } });
  });

  test('adds the linked members to an existing audience', async () => {
    const stamp = Date.now();
    const existing = audiences().create(`existing ${stamp}`, 'by hand', [testLineUserId('already-there')]);
    const lineD = await link(`M-AUD-D-${stamp}`);
    const started = await post({
      audienceGroupId: existing.audienceGroupId,
      memberIds: [`M-AUD-D-${stamp}`, `M-AUD-E-${stamp}`],
    });
    expect(started.status).toBe(202);
    const job = await finished((started.body as { jobId: string }).jobId);
    expect(job).toMatchObject({
      status: 'done',
      mode: 'add',
      audienceGroupId: existing.audienceGroupId,
      counts: { requested: 2, linked: 1, notLinked: 1, uploaded: 1 },
    });
    expect(audiences().get(existing.audienceGroupId)!.userIds).toEqual(
      new Set([testLineUserId('already-there'), lineD]),
    );
  });

  test('an audience LINE does not know: the job fails with LINE reason', async () => {
    const member = `M-AUD-F-${Date.now()}`;
    await link(member);
    const started = await post({ audienceGroupId: 999, memberIds: [member] });
    const job = await finished((started.body as { jobId: string }).jobId);
    expect(job.status).toBe('failed');
    expect(job.errors).toEqual([
      expect.objectContaining({
        code: 'line-bad-response',
        detail: expect.stringContaining('AUDIENCE_GROUP_NOT_FOUND'),
      }),
    ]);
  });

  test('LINE answering 429 is backed off: the audience is made all the same', async () => {
    const stamp = Date.now();
    const lineG = await link(`M-AUD-G-${stamp}`);
    const groupsBefore = audiences().groups().length;
    stack.line.messaging.setRateLimit(2);
    const started = await post({ description: `rate ${stamp}`, memberIds: [`M-AUD-G-${stamp}`] });
    const job = await finished((started.body as { jobId: string }).jobId);
    expect(job).toMatchObject({ status: 'done', counts: { uploaded: 1 }, createAttempts: 1 });
    expect(audiences().groups().length).toBe(groupsBefore + 1);
    expect(audiences().get(job.audienceGroupId as number)!.userIds).toEqual(new Set([lineG]));
  });

  test.each([
    ['no members', { description: 'x', memberIds: [] }],
    ['a name of 121 characters', { description: 'x'.repeat(121), memberIds: ['M-1'] }],
    ['a line break in the name', { description: 'a\nb', memberIds: ['M-1'] }],
    ['both a name and an audience ID', { description: 'x', audienceGroupId: 1, memberIds: ['M-1'] }],
    ['an audience ID that is not a number', { audienceGroupId: 'abc', memberIds: ['M-1'] }],
    ['no body fields', {}],
  ])('%s → 400 and nothing written or uploaded', async (_label, body) => {
    const items = (await audienceItems()).length;
    const groups = audiences().groups().length;
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toMatchObject({ code: 'invalid-request' });
    expect((await audienceItems()).length).toBe(items);
    expect(audiences().groups().length).toBe(groups);
  });

  test('an Idempotency-Key: the same request again answers the same job; another body → 422', async () => {
    const stamp = Date.now();
    const member = `M-AUD-IDEM-${stamp}`;
    await link(member);
    const key = randomUUID();
    const body = { description: `idem ${stamp}`, memberIds: [member] };
    const send = (json: unknown) =>
      adminCall(stack.api.url, 'POST', '/admin/audiences', credentials, { json, idempotencyKey: key });
    const first = await send(body);
    expect(first.status).toBe(202);
    const { jobId } = first.body as { jobId: string };
    expect((await finished(jobId)).status).toBe('done');
    const groups = audiences().groups().length;

    const again = await send(body);
    expect(again.status).toBe(202);
    expect((again.body as { jobId: string }).jobId).toBe(jobId);
    const other = await send({ ...body, memberIds: [member, `${member}-2`] });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'idempotency-key-reused' });
    expect(audiences().groups().length).toBe(groups);
  });

  test('unsigned → 403 and nothing written', async () => {
    const items = (await audienceItems()).length;
    const response = await adminCall(stack.api.url, 'POST', '/admin/audiences', undefined, {
      json: { description: 'x', memberIds: ['M-1'] },
    });
    expect(response.status).toBe(403);
    expect((await audienceItems()).length).toBe(items);
  });
});

describe('the audience job worker against the LINE emulator', () => {
  /** The worker's ports, built as the composition root builds them, on this suite's tables. */
  function workerPorts(): RunAudienceJobPorts {
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT! });
    const { channelId, channelSecret } = stack.line.messaging.channel;
    const audit = new DynamoAuditLog(client, stack.tables.audit, systemClock);
    return {
      jobs: new DynamoAudienceJobStore(client, stack.tables.jobs),
      links: new DynamoLinkRepository(client, stack.tables.links, audit.transactionWrites()),
      audiences: new LineAudienceClient({
        apiBase: stack.line.url,
        tokens: new LineChannelTokenClient({
          apiBase: stack.line.url,
          channelId,
          channelSecret: async () => channelSecret,
        }),
        baseBackoffMs: 10,
      }),
      audit,
      clock: systemClock,
    };
  }

  test('a create LINE answered 5xx: the job notes it, and the next run creates exactly one audience', async () => {
    const stamp = Date.now();
    const lineH = await link(`M-AUD-H-${stamp}`);
    stack.line.messaging.setFault('audienceCreate', { status: 500, times: 1 });
    const started = await post({ description: `retry ${stamp}`, memberIds: [`M-AUD-H-${stamp}`] });
    const { jobId } = started.body as { jobId: string };
    let job: Record<string, unknown> = {};
    for (let i = 0; i < 100 && (job.errors as unknown[] | undefined)?.length !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await adminCall(stack.api.url, 'GET', `/admin/audiences/jobs/${jobId}`, credentials))
        .body as Record<string, unknown>;
    }
    expect(job).toMatchObject({ status: 'running', createAttempts: 1, chunksDone: 0 });
    expect(job.errors).toEqual([expect.objectContaining({ code: 'line-unavailable' })]);
    const named = () =>
      audiences()
        .groups()
        .filter((g) => g.description === `retry ${stamp}`);
    expect(named()).toHaveLength(0);

    // The queue delivers the job again: the run looks for an audience first, finds none, creates one.
    await expect(runAudienceJob({ jobId, batch: 0 }, workerPorts())).resolves.toBe('finished');
    expect(named()).toHaveLength(1);
    expect(named()[0]!.userIds).toEqual(new Set([lineH]));
    expect(await finished(jobId)).toMatchObject({
      status: 'done',
      createAttempts: 2,
      counts: { uploaded: 1 },
    });
  });

  test('a create LINE carried out but whose answer was lost: the next run finds the audience, makes none', async () => {
    const stamp = Date.now();
    const lineI = await link(`M-AUD-I-${stamp}`);
    stack.line.messaging.setFault('audienceCreate', { status: 500, times: 1 });
    const started = await post({ description: `lost ${stamp}`, memberIds: [`M-AUD-I-${stamp}`] });
    const { jobId } = started.body as { jobId: string };
    for (let i = 0; i < 100; i++) {
      const job = (await adminCall(stack.api.url, 'GET', `/admin/audiences/jobs/${jobId}`, credentials))
        .body as { errors: unknown[] };
      if (job.errors.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // What LINE would hold had it made the audience before the answer was lost.
    const made = audiences().create(`lost ${stamp}`, uploadDescriptionFor(jobId), [lineI]);

    await runAudienceJob({ jobId, batch: 0 }, workerPorts());
    expect(
      audiences()
        .groups()
        .filter((g) => g.description === `lost ${stamp}`),
    ).toHaveLength(1);
    expect(await finished(jobId)).toMatchObject({
      status: 'done',
      audienceGroupId: made.audienceGroupId,
      createAttempts: 2,
    });
  });
});
