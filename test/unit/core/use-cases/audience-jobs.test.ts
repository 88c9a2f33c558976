import { parseAudienceRequest, type AudienceRequest } from '../../../../functions/core/audiences.js';
import { InvalidRequestError, UpstreamError } from '../../../../functions/core/errors.js';
import type { Clock } from '../../../../functions/core/ports/index.js';
import {
  getAudienceJob,
  runAudienceJob,
  startAudienceJob,
  type RunAudienceJobPorts,
} from '../../../../functions/core/use-cases/audience-jobs.js';
import {
  FakeAudienceApi,
  InMemoryAudienceJobStore,
  lineUserIdOf,
  linkSet,
} from '../../../support/audience-fakes.js';
import {
  InMemoryIdempotencyStore,
  RecordingAdminAudit,
  RecordingJobQueue,
} from '../../../support/message-fakes.js';

/** Audiences from links on in-memory ports (fakes with the adapters' contracts). */

const CALLER = { arn: 'arn:aws:iam::123456789012:role/crm' };
const clock: Clock = { now: () => new Date('2026-12-01T09:00:00.000Z') };

const members = (n: number) => Array.from({ length: n }, (_, i) => `M${i}`);

function setup(linked: Iterable<string>) {
  let ids = 0;
  const idempotency = new InMemoryIdempotencyStore();
  const jobs = new InMemoryAudienceJobStore(idempotency);
  const queue = new RecordingJobQueue();
  const audit = new RecordingAdminAudit();
  const api = new FakeAudienceApi();
  const start = {
    jobs,
    queue,
    audit,
    clock,
    idempotency,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  };
  const run: RunAudienceJobPorts = { jobs, links: linkSet(new Set(linked)), audiences: api, audit, clock };
  return { start, run, jobs, queue, audit, api };
}

describe('startAudienceJob and runAudienceJob', () => {
  test('uploads the linked members in requests of at most 10,000: the first creates, the others add', async () => {
    const all = members(25_000);
    const linked = all.filter((_, i) => i % 10 !== 0);
    const { start, run, api, queue, audit } = setup(linked);
    const request: AudienceRequest = { mode: 'create', description: 'Gold members', memberIds: all };

    const job = await startAudienceJob(request, CALLER, start);
    expect(job).toMatchObject({ status: 'running', chunks: 3, counts: { requested: 25_000 } });
    expect(queue.enqueued).toEqual([{ jobId: job.jobId, batch: 0 }]);

    await expect(runAudienceJob(queue.enqueued[0]!, run)).resolves.toBe('finished');

    expect(api.requests.map((r) => [r.kind, r.size])).toEqual([
      ['create', 9_000],
      ['add', 9_000],
      ['add', 4_500],
    ]);
    expect(api.audiences.size).toBe(1);
    const [id, audience] = [...api.audiences][0]!;
    expect(audience.userIds).toEqual(new Set(linked.map(lineUserIdOf)));
    const report = await getAudienceJob({ jobId: job.jobId }, start);
    expect(report).toMatchObject({
      status: 'done',
      audienceGroupId: id,
      chunksDone: 3,
      createAttempts: 1,
      counts: { requested: 25_000, linked: 22_500, notLinked: 2_500, uploaded: 22_500 },
      errors: [],
    });
    expect(audit.events.map((e) => [e.action, e.actor, e.outcome])).toEqual([
      ['audience', CALLER.arn, 'job-started'],
      ['audience', CALLER.arn, 'done linked:22500 not-linked:2500 uploaded:22500'],
    ]);
  });

  test('reports the members who are not linked, page by page, and sends none of them', async () => {
    const all = members(12_000);
    const { start, run, api, queue } = setup(all.filter((id) => id !== 'M7' && id !== 'M11500'));
    const job = await startAudienceJob({ mode: 'create', description: 'x', memberIds: all }, CALLER, start);
    await runAudienceJob(queue.enqueued[0]!, run);

    const first = await getAudienceJob({ jobId: job.jobId }, start);
    expect(first.notLinkedMemberIds).toEqual(['M7']);
    expect(first.nextCursor).toBe('10');
    const second = await getAudienceJob({ jobId: job.jobId, fromPart: 10 }, start);
    expect(second.notLinkedMemberIds).toEqual(['M11500']);
    expect(second.nextCursor).toBeUndefined();
    const sent = [...api.audiences.values()][0]!.userIds;
    expect(sent.has(lineUserIdOf('M7'))).toBe(false);
    expect(sent.size).toBe(11_998);
  });

  test('a run that dies goes on from the next chunk: the chunks done are not uploaded again', async () => {
    const all = members(30_000);
    const { start, run, api, queue } = setup(all);
    const job = await startAudienceJob({ mode: 'create', description: 'x', memberIds: all }, CALLER, start);
    api.failAdd = 1;

    await expect(runAudienceJob(queue.enqueued[0]!, run)).rejects.toThrow(UpstreamError);
    expect(api.requests.map((r) => r.kind)).toEqual(['create', 'add']);
    expect((await getAudienceJob({ jobId: job.jobId }, start)).errors).toEqual([
      expect.objectContaining({ code: 'line-unavailable', detail: 'LINE answered 503.' }),
    ]);

    await expect(runAudienceJob(queue.enqueued[0]!, run)).resolves.toBe('finished');
    expect(api.requests.map((r) => r.kind)).toEqual(['create', 'add', 'add', 'add']);
    expect(await getAudienceJob({ jobId: job.jobId }, start)).toMatchObject({
      status: 'done',
      chunksDone: 3,
      counts: { uploaded: 30_000 },
    });
  });

  test('a create whose answer was lost is found again, never made twice', async () => {
    const all = members(15_000);
    const { start, run, api, queue, jobs } = setup(all);
    const job = await startAudienceJob(
      { mode: 'create', description: 'Lost', memberIds: all },
      CALLER,
      start,
    );
    api.loseCreateAnswer = 1;

    await expect(runAudienceJob(queue.enqueued[0]!, run)).rejects.toThrow(UpstreamError);
    expect((await jobs.get(job.jobId))!.audienceGroupId).toBeUndefined();

    await runAudienceJob(queue.enqueued[0]!, run);
    expect(api.requests.map((r) => r.kind)).toEqual(['create', 'add']);
    expect(api.audiences.size).toBe(1);
    const [id] = api.audiences.keys();
    expect(await getAudienceJob({ jobId: job.jobId }, start)).toMatchObject({
      status: 'done',
      audienceGroupId: id,
      createAttempts: 2,
      counts: { uploaded: 15_000 },
    });
  });

  test('a run near its time limit stops between chunks and the next run goes on', async () => {
    const all = members(20_000);
    const { start, run, api, queue } = setup(all);
    await startAudienceJob({ mode: 'create', description: 'x', memberIds: all }, CALLER, start);
    let chunks = 0;
    await expect(runAudienceJob(queue.enqueued[0]!, run, () => chunks++ < 1)).resolves.toBe('paused');
    expect(api.requests).toHaveLength(1);
    await expect(runAudienceJob(queue.enqueued[0]!, run)).resolves.toBe('finished');
    expect(api.requests.map((r) => r.kind)).toEqual(['create', 'add']);
  });

  test('adds to an existing audience; one LINE refuses ends the job as failed with its reason', async () => {
    const { start, run, api, queue, audit } = setup(['M0', 'M1']);
    const existing = await api.create({ description: 'Old', uploadDescription: 'manual', lineUserIds: [] });
    api.requests.length = 0;

    const added = await startAudienceJob(
      { mode: 'add', audienceGroupId: existing, memberIds: ['M0', 'M1', 'M2'] },
      CALLER,
      start,
    );
    await runAudienceJob(queue.enqueued[0]!, run);
    expect(api.requests).toEqual([{ kind: 'add', audienceGroupId: existing, size: 2 }]);
    expect(await getAudienceJob({ jobId: added.jobId }, start)).toMatchObject({
      status: 'done',
      mode: 'add',
      audienceGroupId: existing,
      counts: { requested: 3, linked: 2, notLinked: 1, uploaded: 2 },
      notLinkedMemberIds: ['M2'],
    });

    const missing = await startAudienceJob(
      { mode: 'add', audienceGroupId: 999, memberIds: ['M0'] },
      CALLER,
      start,
    );
    await expect(runAudienceJob(queue.enqueued[1]!, run)).resolves.toBe('finished');
    const report = await getAudienceJob({ jobId: missing.jobId }, start);
    expect(report.status).toBe('failed');
    expect(report.errors[0]).toMatchObject({
      code: 'line-bad-response',
      detail: expect.stringContaining('AUDIENCE_GROUP_NOT_FOUND'),
    });
    expect(audit.events.at(-1)).toMatchObject({
      action: 'audience',
      outcome: expect.stringMatching(/^failed /),
    });
  });

  test('no linked member: nothing is created, the job is done and says who was not linked', async () => {
    const { start, run, api, queue } = setup([]);
    const job = await startAudienceJob(
      { mode: 'create', description: 'x', memberIds: ['A', 'B'] },
      CALLER,
      start,
    );
    await runAudienceJob(queue.enqueued[0]!, run);
    expect(api.requests).toEqual([]);
    expect(await getAudienceJob({ jobId: job.jobId }, start)).toMatchObject({
      status: 'done',
      counts: { linked: 0, notLinked: 2, uploaded: 0 },
      notLinkedMemberIds: ['A', 'B'],
    });
  });

  test('the same Idempotency-Key and request give the same job, started once', async () => {
    const { start, queue, jobs } = setup([]);
    const request: AudienceRequest = { mode: 'create', description: 'x', memberIds: ['A'] };
    const key = { key: 'k-1', fingerprint: 'f-1' };
    const first = await startAudienceJob(request, CALLER, start, key);
    const again = await startAudienceJob(request, CALLER, start, key);
    expect(again.jobId).toBe(first.jobId);
    expect(jobs.jobs.size).toBe(1);
    expect(queue.enqueued).toHaveLength(1);
    await expect(
      startAudienceJob(request, CALLER, start, { key: 'k-1', fingerprint: 'other' }),
    ).rejects.toMatchObject({
      code: 'idempotency-key-reused',
    });
  });
});

describe('parseAudienceRequest', () => {
  const bad = (body: unknown) => {
    try {
      parseAudienceRequest(body);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidRequestError);
      return (error as InvalidRequestError).errors.map((d) => d.path);
    }
    throw new Error('accepted');
  };

  test('creates with a description, adds with an audienceGroupId; member IDs deduplicated', () => {
    expect(parseAudienceRequest({ description: 'Gold', memberIds: ['A', 'B', 'A'] })).toEqual({
      mode: 'create',
      description: 'Gold',
      memberIds: ['A', 'B'],
    });
    expect(parseAudienceRequest({ audienceGroupId: 1234567890123, memberIds: ['A'] })).toEqual({
      mode: 'add',
      audienceGroupId: 1234567890123,
      memberIds: ['A'],
    });
  });

  test.each([
    ['neither description nor audienceGroupId', { memberIds: ['A'] }, '(body)'],
    ['both', { description: 'x', audienceGroupId: 1, memberIds: ['A'] }, '(body)'],
    ['a name of 121 characters', { description: 'あ'.repeat(121), memberIds: ['A'] }, 'description'],
    ['a name of spaces', { description: '   ', memberIds: ['A'] }, 'description'],
    ['a line break in the name', { description: 'a\nb', memberIds: ['A'] }, 'description'],
    ['no members', { description: 'x', memberIds: [] }, 'memberIds'],
    ['too many members', { description: 'x', memberIds: members(100_001) }, 'memberIds'],
    ['a member ID with a space', { description: 'x', memberIds: ['A B'] }, 'memberIds.0'],
    ['an audience ID that is a string', { audienceGroupId: '123', memberIds: ['A'] }, 'audienceGroupId'],
    ['an audience ID that is not an integer', { audienceGroupId: 1.5, memberIds: ['A'] }, 'audienceGroupId'],
  ])('refuses %s', (_, body, path) => {
    expect(bad(body)).toContain(path);
  });

  test('accepts a name of exactly 120 characters, counted as characters', () => {
    expect(parseAudienceRequest({ description: '😀'.repeat(120), memberIds: ['A'] }).mode).toBe('create');
  });
});
