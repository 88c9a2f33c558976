import { MessageJobNotFoundError } from '../errors.js';
import {
  MULTICAST_LIMIT,
  retryKeyFor,
  summarize,
  type MemberSendResult,
  type MemberSendStatus,
  type SendRequest,
  type JobBatchRef,
  type MessageJob,
} from '../member-messages.js';
import type {
  AdminAuditLog,
  Clock,
  IdempotencyClaimRef,
  IdempotencyStore,
  IdempotentSendAnswer,
  JobQueue,
  LinkDirectory,
  MessageJobStore,
  MulticastSender,
} from '../ports/index.js';
import type { AdminCaller } from './admin-links.js';
import { claimIdempotencyKey } from './idempotency-claim.js';
import { sendToMembers } from './send-messages.js';

/** Ports of {@link startMessageJob}. */
export interface StartMessageJobPorts {
  jobs: MessageJobStore;
  queue: JobQueue;
  audit: AdminAuditLog;
  clock: Clock;
  newJobId: () => string;
}

/**
 * Starts a large send as a job: the recipients are split into batches of up to 500 (one
 * multicast request each), stored, and queued; each batch is then sent by the worker on its own,
 * so no single function run needs to outlive a Lambda timeout, and a batch run twice (queue
 * redelivery) reuses its retry key and so is delivered once. With an `Idempotency-Key` claim,
 * the job is recorded as the key's answer in the same write that creates it.
 */
export async function startMessageJob(
  request: SendRequest,
  caller: AdminCaller,
  ports: StartMessageJobPorts,
  claim?: IdempotencyClaimRef,
): Promise<MessageJob> {
  const jobId = ports.newJobId();
  const createdAt = ports.clock.now().toISOString();
  const recipients = [...new Set(request.to)];
  const batches: string[][] = [];
  for (let i = 0; i < recipients.length; i += MULTICAST_LIMIT)
    batches.push(recipients.slice(i, i + MULTICAST_LIMIT));
  await ports.jobs.create(
    { jobId, createdAt, actor: caller.arn, messages: request.messages, batches },
    claim,
  );
  await ports.audit.recordAdmin({
    action: 'message',
    at: createdAt,
    actor: caller.arn,
    outcome: 'job-started',
    recipients: recipients.length,
    jobId,
  });
  await ports.queue.enqueue(batches.map((_, batch) => ({ jobId, batch })));
  return {
    jobId,
    status: 'running',
    createdAt,
    total: recipients.length,
    batches: batches.length,
    batchesDone: 0,
    counts: { sent: 0, 'not-linked': 0, 'not-friend': 0, failed: 0 },
  };
}

/** Ports of {@link runMessageBatch}. */
export interface RunMessageBatchPorts {
  jobs: MessageJobStore;
  links: LinkDirectory;
  sender: MulticastSender;
}

/**
 * Sends one batch of a job (the worker). A batch already done is skipped; the retry key is
 * derived from the job and batch, so running it again after a timeout cannot send twice.
 */
export async function runMessageBatch(ref: JobBatchRef, ports: RunMessageBatchPorts): Promise<void> {
  const batch = await ports.jobs.batch(ref);
  if (!batch || batch.done) return;
  const results = await sendToMembers(
    { to: batch.companyUserIds, messages: batch.messages },
    {
      links: ports.links,
      sender: ports.sender,
      retryKey: (request) => retryKeyFor(`${ref.jobId}:${ref.batch}:${request}`),
    },
  );
  await ports.jobs.completeBatch(ref, results);
}

/** A job's progress and a page of its per-member report. */
export async function getMessageJob(
  input: { jobId: string; fromBatch?: number },
  ports: { jobs: MessageJobStore },
): Promise<MessageJob & { results: MemberSendResult[]; nextCursor?: string }> {
  const job = await ports.jobs.get(input.jobId);
  if (!job) throw new MessageJobNotFoundError();
  const page = await ports.jobs.results(input.jobId, input.fromBatch ?? 0);
  return {
    ...job,
    results: page.results,
    ...(page.nextBatch === undefined ? {} : { nextCursor: String(page.nextBatch) }),
  };
}

/** Ports of {@link sendMessagesNow}. */
export interface SendNowPorts {
  links: LinkDirectory;
  sender: MulticastSender;
  audit: AdminAuditLog;
  clock: Clock;
  /** The `X-Line-Retry-Key` of the n-th multicast request of this send. */
  newRetryKey: (requestIndex: number) => string;
}

/** A small send (one multicast request at most), done within the request; audited with counts. */
export async function sendMessagesNow(
  request: SendRequest,
  caller: AdminCaller,
  ports: SendNowPorts,
): Promise<{ counts: Record<MemberSendStatus, number>; results: MemberSendResult[] }> {
  const results = await sendToMembers(request, {
    links: ports.links,
    sender: ports.sender,
    retryKey: (requestIndex) => ports.newRetryKey(requestIndex),
  });
  const counts = summarize(results);
  await ports.audit.recordAdmin({
    action: 'message',
    at: ports.clock.now().toISOString(),
    actor: caller.arn,
    outcome: `sent:${counts.sent} not-linked:${counts['not-linked']} not-friend:${counts['not-friend']} failed:${counts.failed}`,
    recipients: results.length,
  });
  return { counts, results };
}

// ------------------------------------------------------------------ POST /admin/messages

export { IDEMPOTENCY_KEY_TTL_SECONDS, IDEMPOTENCY_LEASE_SECONDS } from './idempotency-claim.js';

/** What `POST /admin/messages` answers: sent at once (200) or a job (202). */
export type SendMessagesAnswer =
  | { kind: 'sent'; counts: Record<MemberSendStatus, number>; results: MemberSendResult[] }
  | { kind: 'job'; job: MessageJob };

/** Ports of {@link sendMessages}. */
export interface SendMessagesPorts {
  links: LinkDirectory;
  sender: MulticastSender;
  jobs: MessageJobStore;
  queue: JobQueue;
  audit: AdminAuditLog;
  clock: Clock;
  idempotency: IdempotencyStore;
  /** A fresh random ID (UUID): job IDs, retry keys, claim owner tokens. */
  newId: () => string;
}

/**
 * `POST /admin/messages`: up to 500 distinct recipients are sent at once, more start a job.
 *
 * With an `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header), the key is claimed
 * for this caller and a fingerprint of the request before anything is sent:
 *
 * - the same key with the same request gives the first answer again (the same per-member
 *   results, or the same job), and nothing is sent again;
 * - the same key with another request is refused (`idempotency-key-reused`);
 * - while the first request with the key is still running, `idempotency-key-in-progress`.
 *
 * The claim's operation ID carries over to whichever attempt finishes the work: it is the job's
 * ID, or the seed of the send's `X-Line-Retry-Key`s, so an attempt that resumes the work after
 * an earlier one died sends with the same retry keys, and LINE delivers what it already accepted
 * only once. A send whose multicast failed is answered with its `failed` members but not
 * recorded: the same request with the same key tries them again (with the same retry key).
 * An error releases the key at once for the same reason.
 */
export async function sendMessages(
  request: SendRequest,
  caller: AdminCaller,
  ports: SendMessagesPorts,
  idempotency?: { key: string; fingerprint: string },
): Promise<SendMessagesAnswer> {
  const atOnce = new Set(request.to).size <= MULTICAST_LIMIT;
  if (!idempotency) {
    if (atOnce)
      return {
        kind: 'sent',
        ...(await sendMessagesNow(request, caller, { ...ports, newRetryKey: () => ports.newId() })),
      };
    return { kind: 'job', job: await startMessageJob(request, caller, { ...ports, newJobId: ports.newId }) };
  }

  const { ref, claim } = await claimIdempotencyKey(caller, idempotency, ports);
  if (claim.outcome === 'completed') return replay(request, claim.answer);

  const { operationId } = claim;
  try {
    let answer: SendMessagesAnswer;
    if (atOnce) {
      answer = {
        kind: 'sent',
        ...(await sendMessagesNow(request, caller, {
          ...ports,
          newRetryKey: (requestIndex) => retryKeyFor(`${operationId}:${requestIndex}`),
        })),
      };
      if (answer.counts.failed > 0) {
        await ports.idempotency.release(ref);
        return answer;
      }
    } else if (claim.answer?.kind === 'job') {
      // Resumed after the job was created: its batches are queued again, and the worker sends
      // each at most once (a batch done is skipped, its retry key is the job's).
      answer = replay(request, claim.answer);
      const { jobId, batches } = claim.answer.job;
      await ports.queue.enqueue(Array.from({ length: batches }, (_, batch) => ({ jobId, batch })));
    } else {
      answer = {
        kind: 'job',
        job: await startMessageJob(request, caller, { ...ports, newJobId: () => operationId }, ref),
      };
    }
    await ports.idempotency.complete(ref, stored(answer));
    return answer;
  } catch (error) {
    await ports.idempotency.release(ref).catch(() => undefined);
    throw error;
  }
}

/** The part of an answer the key keeps. */
function stored(answer: SendMessagesAnswer): IdempotentSendAnswer {
  if (answer.kind === 'sent') return { kind: 'sent', statuses: answer.results.map((r) => r.status) };
  const { jobId, createdAt, total, batches } = answer.job;
  return { kind: 'job', job: { jobId, createdAt, total, batches } };
}

/** The first answer again, from what the key kept and the (same) request. */
function replay(request: SendRequest, answer: IdempotentSendAnswer): SendMessagesAnswer {
  if (answer.kind === 'job') {
    return {
      kind: 'job',
      job: {
        ...answer.job,
        status: 'running',
        batchesDone: 0,
        counts: { sent: 0, 'not-linked': 0, 'not-friend': 0, failed: 0 },
      },
    };
  }
  const recipients = [...new Set(request.to)];
  if (recipients.length !== answer.statuses.length)
    throw new Error('The stored answer of this Idempotency-Key does not fit its request.');
  const results = recipients.map((companyUserId, i) => ({ companyUserId, status: answer.statuses[i]! }));
  return { kind: 'sent', counts: summarize(results), results };
}
