import {
  IdempotencyKeyInProgressError,
  IdempotencyKeyReusedError,
} from '../../../../functions/core/errors.js';
import { retryKeyFor, type SendRequest } from '../../../../functions/core/member-messages.js';
import type { Clock } from '../../../../functions/core/ports/index.js';
import {
  IDEMPOTENCY_KEY_TTL_SECONDS,
  IDEMPOTENCY_LEASE_SECONDS,
  runMessageBatch,
  sendMessages,
  type SendMessagesPorts,
} from '../../../../functions/core/use-cases/message-jobs.js';
import {
  FakeMulticast,
  InMemoryIdempotencyStore,
  InMemoryMessageJobStore,
  linkDirectory,
  RecordingAdminAudit,
  RecordingJobQueue,
} from '../../../support/message-fakes.js';

/** POST /admin/messages with an Idempotency-Key, on in-memory ports (fakes with the adapters' contracts). */

const CALLER = { arn: 'arn:aws:iam::123456789012:role/crm' };
const OTHER_CALLER = { arn: 'arn:aws:iam::123456789012:role/marketing' };
const TEXT = [{ type: 'text' as const, text: 'Hello' }];
const START = Date.parse('2026-12-01T09:00:00.000Z');

function setup(linked = ['M0', 'M1', 'M2'], notFriends: string[] = []) {
  let now = START;
  const clock: Clock = { now: () => new Date(now) };
  let ids = 0;
  const idempotency = new InMemoryIdempotencyStore();
  const ports = {
    links: linkDirectory(linked, notFriends),
    sender: new FakeMulticast(),
    jobs: new InMemoryMessageJobStore(idempotency),
    queue: new RecordingJobQueue(),
    audit: new RecordingAdminAudit(),
    clock,
    idempotency,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  } satisfies SendMessagesPorts;
  return {
    ports,
    advance: (seconds: number) => void (now += seconds * 1000),
  };
}

const small: SendRequest = { to: ['M0', 'M1', 'M9', 'M0'], messages: TEXT };
const key = (fingerprint = 'fp-1', k = 'key-1') => ({ key: k, fingerprint });

describe('sendMessages with an Idempotency-Key: a send done at once', () => {
  test('the same key and request twice: one delivery, the same answer', async () => {
    const { ports } = setup();
    const first = await sendMessages(small, CALLER, ports, key());
    const again = await sendMessages(small, CALLER, ports, key());
    expect(first).toEqual({
      kind: 'sent',
      counts: { sent: 2, 'not-linked': 1, 'not-friend': 0, failed: 0 },
      results: [
        { companyUserId: 'M0', status: 'sent' },
        { companyUserId: 'M1', status: 'sent' },
        { companyUserId: 'M9', status: 'not-linked' },
      ],
    });
    expect(again).toEqual(first);
    expect(ports.sender.requests).toHaveLength(1);
    expect(ports.audit.events).toHaveLength(1);
    expect(ports.idempotency.calls).toEqual(['claim:claimed', 'complete', 'claim:completed']);
    // The record keeps the statuses and no member ID; the key is kept 24 hours.
    const record = [...ports.idempotency.records.values()][0]!;
    expect(record.answer).toEqual({ kind: 'sent', statuses: ['sent', 'sent', 'not-linked'] });
    expect(record.expiresAt).toBe(START / 1000 + IDEMPOTENCY_KEY_TTL_SECONDS);
  });

  test("the retry key is derived from the claim's operation ID, not random", async () => {
    const { ports } = setup();
    await sendMessages(small, CALLER, ports, key());
    const { operationId } = [...ports.idempotency.records.values()][0]!;
    expect(ports.sender.requests[0]!.retryKey).toBe(retryKeyFor(`${operationId}:0`));
  });

  test('the same key with another request → idempotency-key-reused, nothing sent', async () => {
    const { ports } = setup();
    await sendMessages(small, CALLER, ports, key('fp-1'));
    await expect(
      sendMessages({ to: ['M2'], messages: TEXT }, CALLER, ports, key('fp-2')),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(ports.sender.requests).toHaveLength(1);
  });

  test("keys are the caller's own: another principal's same key is another key", async () => {
    const { ports } = setup();
    await sendMessages(small, CALLER, ports, key('fp-1'));
    await sendMessages(small, OTHER_CALLER, ports, key('fp-other'));
    expect(ports.sender.deliveries).toHaveLength(2);
  });

  test('while the first is running → idempotency-key-in-progress with a short Retry-After', async () => {
    const { ports } = setup();
    // Another attempt holds the key (its lease is running).
    await ports.idempotency.claim({
      scope: CALLER.arn,
      key: 'key-1',
      owner: 'other-attempt',
      fingerprint: 'fp-1',
      operationId: 'op-first',
      now: new Date(START),
      leaseUntil: new Date(START + IDEMPOTENCY_LEASE_SECONDS * 1000),
      expiresAt: new Date(START + IDEMPOTENCY_KEY_TTL_SECONDS * 1000),
    });
    const refused = await sendMessages(small, CALLER, ports, key()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(IdempotencyKeyInProgressError);
    expect((refused as IdempotencyKeyInProgressError).retryAfterSeconds).toBe(2);
    expect(ports.sender.requests).toHaveLength(0);
  });

  test('a first attempt that died: after its lease the retry resumes with its retry key, delivered once', async () => {
    const { ports, advance } = setup();
    // The first attempt claimed, sent (LINE accepted), then died before recording its answer.
    await ports.idempotency.claim({
      scope: CALLER.arn,
      key: 'key-1',
      owner: 'dead-attempt',
      fingerprint: 'fp-1',
      operationId: 'op-dead',
      now: new Date(START),
      leaseUntil: new Date(START + IDEMPOTENCY_LEASE_SECONDS * 1000),
      expiresAt: new Date(START + IDEMPOTENCY_KEY_TTL_SECONDS * 1000),
    });
    await ports.sender.multicast(['U-any'], TEXT, retryKeyFor('op-dead:0'));
    advance(IDEMPOTENCY_LEASE_SECONDS - 1);
    await expect(sendMessages(small, CALLER, ports, key())).rejects.toBeInstanceOf(
      IdempotencyKeyInProgressError,
    );
    advance(1);
    const answer = await sendMessages(small, CALLER, ports, key());
    expect(answer).toMatchObject({ kind: 'sent', counts: { sent: 2 } });
    expect(ports.sender.requests.map((r) => r.retryKey)).toEqual([
      retryKeyFor('op-dead:0'),
      retryKeyFor('op-dead:0'),
    ]);
    expect(ports.sender.deliveries).toHaveLength(1);
  });

  test('an error after the send releases the key: the retry resumes at once, delivered once', async () => {
    const { ports } = setup();
    ports.audit.fail = 1;
    await expect(sendMessages(small, CALLER, ports, key())).rejects.toThrow('audit table unavailable');
    expect(ports.idempotency.calls).toEqual(['claim:claimed', 'release']);
    const answer = await sendMessages(small, CALLER, ports, key());
    expect(answer).toMatchObject({ kind: 'sent', counts: { sent: 2 } });
    expect(ports.idempotency.calls.slice(2)).toEqual(['claim:claimed:resumed', 'complete']);
    expect(new Set(ports.sender.requests.map((r) => r.retryKey)).size).toBe(1);
    expect(ports.sender.deliveries).toHaveLength(1);
    expect(ports.audit.events).toHaveLength(1);
  });

  test('a multicast that failed is answered but not kept: the same key tries it again', async () => {
    const { ports } = setup();
    ports.sender.fail = 1;
    const first = await sendMessages(small, CALLER, ports, key());
    expect(first).toMatchObject({ kind: 'sent', counts: { sent: 0, failed: 2, 'not-linked': 1 } });
    const again = await sendMessages(small, CALLER, ports, key());
    expect(again).toMatchObject({ kind: 'sent', counts: { sent: 2, failed: 0 } });
    expect(ports.sender.deliveries).toHaveLength(1);
    // And from then on it is the answer.
    expect(await sendMessages(small, CALLER, ports, key())).toEqual(again);
    expect(ports.sender.requests).toHaveLength(2);
  });

  test('after 24 hours the key is forgotten: it may carry another request', async () => {
    const { ports, advance } = setup();
    await sendMessages(small, CALLER, ports, key('fp-1'));
    advance(IDEMPOTENCY_KEY_TTL_SECONDS);
    const other = await sendMessages({ to: ['M2'], messages: TEXT }, CALLER, ports, key('fp-2'));
    expect(other).toMatchObject({ kind: 'sent', results: [{ companyUserId: 'M2', status: 'sent' }] });
  });

  test('without a key nothing is recorded and every request sends', async () => {
    const { ports } = setup();
    await sendMessages(small, CALLER, ports);
    await sendMessages(small, CALLER, ports);
    expect(ports.idempotency.calls).toEqual([]);
    expect(ports.sender.deliveries).toHaveLength(2);
  });
});

describe('sendMessages with an Idempotency-Key: a job', () => {
  const large: SendRequest = {
    to: Array.from({ length: 1200 }, (_, i) => `M${i}`),
    messages: TEXT,
  };

  test('the same key twice: one job, queued once, the same 202 answer', async () => {
    const { ports } = setup(['M0', 'M700']);
    const first = await sendMessages(large, CALLER, ports, key());
    const again = await sendMessages(large, CALLER, ports, key());
    expect(first).toMatchObject({
      kind: 'job',
      job: { status: 'running', total: 1200, batches: 3, batchesDone: 0 },
    });
    expect(again).toEqual(first);
    expect(ports.jobs.jobs.size).toBe(1);
    expect(ports.queue.enqueued).toHaveLength(3);
    // The job ID is the claim's operation ID, and the key's answer names it.
    const record = [...ports.idempotency.records.values()][0]!;
    expect(first.kind === 'job' && first.job.jobId).toBe(record.operationId);
    expect(record.answer).toEqual({
      kind: 'job',
      job: { jobId: record.operationId, createdAt: '2026-12-01T09:00:00.000Z', total: 1200, batches: 3 },
    });
  });

  test('resumed after the job was created but before it was queued: queued, no second job', async () => {
    const { ports, advance } = setup(['M0', 'M700']);
    // The first attempt created the job (with the key's answer) and died before queuing it.
    const queue = ports.queue.enqueue.bind(ports.queue);
    ports.queue.enqueue = async () => {
      throw new Error('SQS unavailable');
    };
    await expect(sendMessages(large, CALLER, ports, key())).rejects.toThrow('SQS unavailable');
    ports.queue.enqueue = queue;
    expect(ports.jobs.jobs.size).toBe(1);
    advance(1);
    const resumed = await sendMessages(large, CALLER, ports, key());
    expect(ports.jobs.jobs.size).toBe(1);
    expect(resumed.kind === 'job' && resumed.job.jobId).toBe([...ports.jobs.jobs.keys()][0]);
    expect(ports.queue.enqueued).toHaveLength(3);
    expect(ports.audit.events).toHaveLength(1);
    // Queued twice (a redelivery or a resume) the worker sends each batch once.
    for (const ref of [...ports.queue.enqueued, ...ports.queue.enqueued])
      await runMessageBatch(ref, { jobs: ports.jobs, links: ports.links, sender: ports.sender });
    expect(ports.sender.deliveries).toHaveLength(2);
  });

  test('an attempt that lost the key to another before creating its job creates none', async () => {
    const { ports } = setup();
    const create = ports.jobs.create.bind(ports.jobs);
    ports.jobs.create = async (job, claim) => {
      // Another attempt takes the key over in between (this one outlived its lease).
      const record = [...ports.idempotency.records.values()][0]!;
      record.owner = 'someone-else';
      return create(job, claim);
    };
    await expect(sendMessages(large, CALLER, ports, key())).rejects.toBeInstanceOf(
      IdempotencyKeyInProgressError,
    );
    expect(ports.jobs.jobs.size).toBe(0);
    expect(ports.queue.enqueued).toHaveLength(0);
  });
});
