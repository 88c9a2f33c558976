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
} from '../messages.js';
import type {
  AdminAuditLog,
  Clock,
  JobQueue,
  LinkDirectory,
  MessageJobStore,
  MulticastSender,
} from '../ports/index.js';
import type { AdminCaller } from './admin-links.js';
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
 * redelivery) reuses its retry key and so is delivered once.
 */
export async function startMessageJob(
  request: SendRequest,
  caller: AdminCaller,
  ports: StartMessageJobPorts,
): Promise<MessageJob> {
  const jobId = ports.newJobId();
  const createdAt = ports.clock.now().toISOString();
  const recipients = [...new Set(request.to)];
  const batches: string[][] = [];
  for (let i = 0; i < recipients.length; i += MULTICAST_LIMIT)
    batches.push(recipients.slice(i, i + MULTICAST_LIMIT));
  await ports.jobs.create({ jobId, createdAt, actor: caller.arn, messages: request.messages, batches });
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
  newRetryKey: () => string;
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
    retryKey: () => ports.newRetryKey(),
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
