import { randomBytes } from 'node:crypto';
import { createDocumentClient } from '../../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoLinkRepository } from '../../../functions/adapters/dynamo/dynamo-link-repository.js';
import { taggedNaming } from '../../../functions/local/artifacts/cloud-assembly.js';
import { startDeployedApi, type DeployedApi } from '../../../functions/local/artifacts/deployed-api.js';
import { formatIamReport } from '../../../functions/local/artifacts/iam-check.js';
import {
  startLinePlatformEmulator,
  type LinePlatformEmulator,
} from '../../../functions/local/emulators/line-platform-emulator.js';
import {
  MESSAGING_CHANNEL_SECRET,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { TABLES } from '../../../functions/manifest/table-definitions.js';
import { adminCall, testAdminCredentials } from '../../support/admin-client.js';
import { recordIamReport } from '../../support/deployed-iam.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../support/dynamo-fault-proxy.js';
import { startLineFake, type LineFake } from '../../support/line-fake.js';
import { TEST_CHANNEL, TEST_CLIENT } from '../../support/test-stack.js';

/**
 * The message job worker behind the template's own queue: the bundle of cdk.out run by Lambda's
 * SQS poller (ReportBatchItemFailures) against the local SQS (the template's visibility timeout,
 * redrive to the dead-letter queue after maxReceiveCount), DynamoDB Local behind the fault proxy,
 * and the LINE emulator. Only the deployed-artifact mode has the queue: from the source, the API
 * process runs the batches itself (InProcessJobQueue).
 */
const ASSEMBLY = process.env.DEPLOYED_ASSEMBLY;
const describeDeployed = ASSEMBLY ? describe : describe.skip;

describeDeployed('the message job worker on its queue (deployed-artifact mode)', () => {
  const credentials = testAdminCredentials();
  const suffix = randomBytes(4).toString('hex');
  let proxy: DynamoFaultProxy;
  let line: LinePlatformEmulator;
  let fake: LineFake;
  let deployed: DeployedApi;
  let links: DynamoLinkRepository;
  let jobsTable: string;
  let queueArn: string;
  let deadLetterArn: string;
  let sendFunction: string;
  let workerFunction: string;
  /** How far the queues' clock is ahead of the real one. */
  let ahead = 0;
  const workerLines: string[] = [];
  /** Every multicast LINE got: its retry key, recipients and LINE's answer. */
  const multicasts: Array<{ retryKey: string; to: string[]; status: number }> = [];
  /** Recipients whose first multicast LINE fails (5xx, nothing sent). */
  const failFirstFor = new Set<string>();

  beforeAll(async () => {
    proxy = await startDynamoFaultProxy(process.env.DYNAMODB_ENDPOINT!);
    line = await startLinePlatformEmulator({ channels: [TEST_CHANNEL] });
    // In front of the emulator: records each multicast with its X-Line-Retry-Key and LINE's answer.
    fake = await startLineFake(
      {
        'POST /v2/bot/message/multicast': async (req) => {
          const to = (JSON.parse(req.body) as { to: string[] }).to;
          const first = to.find((id) => failFirstFor.has(id));
          if (first) {
            failFirstFor.delete(first);
            line.messaging.setFault('multicast', { status: 500, times: 1 });
          }
          const headers = Object.fromEntries(
            Object.entries(req.headers).filter(
              (entry): entry is [string, string] =>
                typeof entry[1] === 'string' && !['host', 'content-length', 'connection'].includes(entry[0]),
            ),
          );
          const answer = await fetch(`${line.url}${req.path}`, { method: 'POST', headers, body: req.body });
          multicasts.push({ retryKey: String(req.headers['x-line-retry-key']), to, status: answer.status });
          return { status: answer.status, json: await answer.json() };
        },
      },
      line.url,
    );
    deployed = await startDeployedApi({
      outdir: ASSEMBLY!,
      naming: taggedNaming(suffix),
      dynamodbEndpoint: proxy.endpoint,
      overlay: {
        LINE_API_BASE: fake.url,
        LINE_AUTH_BASE: line.url,
        LINE_ISSUER: line.issuer,
      },
      secretValues: {
        LINE_CHANNEL_SECRET: TEST_CHANNEL.channelSecret,
        LINE_MESSAGING_CHANNEL_SECRET: MESSAGING_CHANNEL_SECRET,
        COMPANY_OIDC_CLIENT_SECRET: TEST_CLIENT.clientSecret,
      },
      iam: credentials,
      now: () => new Date(Date.now() + ahead),
      onLog: (text, fn) => {
        if (fn.logicalId === workerFunction) workerLines.push(text);
      },
    });
    const { app } = deployed;
    const worker = app.functions.find((f) => f.path.includes('/MessageJobs/Worker/'))!;
    workerFunction = worker.logicalId;
    sendFunction = app.httpApi.routes.find((r) => r.routeKey === 'POST /admin/messages')!.functionLogicalId;
    jobsTable = worker.environment[TABLES.jobs.envVar]!;
    const mapping = app.eventSources.find((m) => m.functionLogicalId === workerFunction)!;
    const queue = app.queues.find(
      (q) => mapping.source.kind === 'sqs' && q.logicalId === mapping.source.queueLogicalId,
    )!;
    queueArn = queue.arn;
    deadLetterArn = queue.redrive!.deadLetterTargetArn;
    links = new DynamoLinkRepository(
      createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT! }),
      worker.environment[TABLES.links.envVar]!,
    );
  }, 60_000);

  afterAll(async () => {
    let report;
    try {
      report = await deployed.iamReport();
      recordIamReport(report, suffix);
    } finally {
      await deployed.close();
      await fake.close();
      await line.close();
      await proxy.close();
    }
    if (report.denied.length > 0)
      throw new Error(`A deployed function made calls its role denies:\n${formatIamReport(report)}`);
  });

  /** Waits until `ready` holds, polling. */
  async function until<T>(what: string, ready: () => T | undefined | Promise<T | undefined>, ms = 60_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await ready();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The worker's JSON log lines at ERROR, and the metrics it emitted. */
  const workerErrors = () =>
    workerLines
      .filter((l) => l.startsWith('{') && l.includes('"level":"ERROR"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const workerMetrics = () =>
    workerLines
      .filter((l) => l.includes('"_aws"'))
      .flatMap((l) => Object.keys(JSON.parse(l) as object).filter((k) => k === 'MessageBatchFailures'));

  const job = async (jobId: string) =>
    (await adminCall(deployed.api.url, 'GET', `/admin/messages/jobs/${jobId}`, credentials)).body as Record<
      string,
      unknown
    >;

  /** Moves the queues' clock past the queue's visibility timeout: a failed batch becomes visible. */
  const afterVisibilityTimeout = () => {
    ahead += 1800 * 1000 + 1000;
  };

  test('a batch whose run fails after LINE took it is retried through the queue and delivered once', async () => {
    const stamp = Date.now();
    const to = Array.from({ length: 501 }, (_, i) => `M-WORKER-${stamp}-${i}`);
    // One linked member in each batch (500 recipients a batch).
    const recipients = [to[0]!, to[500]!].map((companyUserId, i) => ({
      companyUserId,
      lineUserId: testLineUserId(`worker-${stamp}-${i}`),
    }));
    for (const r of recipients)
      await links.create({ ...r, method: 'oidc', linkedAt: new Date().toISOString() });
    const second = recipients[1]!.lineUserId;
    // The second batch: LINE answers its first try 500 (the multicast client tries again with
    // the same key and LINE takes it), then recording the batch done fails in DynamoDB.
    failFirstFor.add(second);
    proxy.inject({
      operation: 'TransactWriteItems',
      table: jobsTable,
      kind: 'server-error',
      times: Infinity,
      when: (body) => JSON.stringify(body).includes('"BATCH#000001"'),
    });

    const started = await adminCall(deployed.api.url, 'POST', '/admin/messages', credentials, {
      json: { to, messages: [{ type: 'text', text: 'お知らせ: 再送のテストです。' }] },
    });
    expect(started.status).toBe(202);
    const { jobId } = started.body as { jobId: string };

    const [failure] = await until('the worker to log the failed batch', () =>
      workerErrors().length ? workerErrors() : undefined,
    );
    proxy.clear();
    expect(failure).toMatchObject({
      message: 'message batch failed: the queue delivers it again',
      messageId: expect.any(String),
      receiveCount: 1,
      jobId,
      batch: 1,
      // DynamoDB's 500 outlasted the SDK's retries: storage unavailable, caused by it.
      error: expect.objectContaining({
        code: 'storage-unavailable',
        cause: expect.objectContaining({ name: 'InternalServerError', httpStatus: 500 }),
      }),
    });
    expect(workerMetrics()).toEqual(['MessageBatchFailures']);
    // The message stays hidden until its visibility timeout: the job waits on that batch.
    expect(await job(jobId)).toMatchObject({ status: 'running', batches: 2, batchesDone: 1 });

    afterVisibilityTimeout();
    const done = await until('the job to finish', async () => {
      const now = await job(jobId);
      return now.status === 'done' ? now : undefined;
    });
    expect(done).toMatchObject({
      batchesDone: 2,
      counts: { sent: 2, 'not-linked': 499, 'not-friend': 0, failed: 0 },
    });

    // Batch 1 went to LINE three times with one retry key: 500 (nothing done), accepted, and
    // after the queue's redelivery 409 (already accepted). Each member got the message once.
    const ofSecond = multicasts.filter((m) => m.to.includes(second));
    expect(ofSecond.map((m) => m.status)).toEqual([500, 200, 409]);
    expect(new Set(ofSecond.map((m) => m.retryKey)).size).toBe(1);
    const ofFirst = multicasts.filter((m) => m.to.includes(recipients[0]!.lineUserId));
    expect(ofFirst.map((m) => m.status)).toEqual([200]);
    expect(ofFirst[0]!.retryKey).not.toBe(ofSecond[0]!.retryKey);
    for (const { lineUserId } of recipients)
      expect(line.messaging.sent.filter((m) => m.to === lineUserId)).toHaveLength(1);
    expect(workerErrors()).toHaveLength(1);
  }, 120_000);

  test('a multicast LINE keeps refusing is logged with its batch, and its members are reported failed', async () => {
    workerLines.length = 0;
    const stamp = Date.now();
    const to = Array.from({ length: 501 }, (_, i) => `M-REFUSED-${stamp}-${i}`);
    const lineUserId = testLineUserId(`refused-${stamp}`);
    await links.create({
      lineUserId,
      companyUserId: to[0]!,
      method: 'oidc',
      linkedAt: new Date().toISOString(),
    });
    // Every try of the multicast client (6) meets LINE's 500.
    line.messaging.setFault('multicast', { status: 500, times: 6 });

    const started = await adminCall(deployed.api.url, 'POST', '/admin/messages', credentials, {
      json: { to, messages: [{ type: 'text', text: 'お知らせ: 届かないテストです。' }] },
    });
    expect(started.status).toBe(202);
    const { jobId } = started.body as { jobId: string };
    const done = await until('the job to finish', async () => {
      const now = await job(jobId);
      return now.status === 'done' ? now : undefined;
    });
    expect(done).toMatchObject({ counts: { sent: 0, 'not-linked': 500, 'not-friend': 0, failed: 1 } });
    expect(multicasts.filter((m) => m.to.includes(lineUserId)).map((m) => m.status)).toEqual(
      Array(6).fill(500),
    );
    expect(line.messaging.sent.filter((m) => m.to === lineUserId)).toEqual([]);
    expect(workerErrors()).toEqual([
      expect.objectContaining({
        message: 'multicast failed for good: its members are reported failed',
        messageId: expect.any(String),
        jobId,
        batch: 0,
        recipients: 1,
        error: expect.objectContaining({ code: 'line-unavailable' }),
      }),
    ]);
  }, 120_000);

  test('a message that is no batch reference is reported at each receive and redriven to the dead-letter queue', async () => {
    workerLines.length = 0;
    // What a broken sender would queue; the send function is the one allowed to.
    deployed.endpoint.sendOnBehalfOf(sendFunction, queueArn, '{"not":"a batch"}');
    for (let receive = 1; receive <= 5; receive++) {
      await until(`receive ${receive} to be reported`, () => workerErrors().length >= receive);
      afterVisibilityTimeout();
    }
    await deployed.drain();
    expect(workerErrors().map((e) => [e.message, e.receiveCount, e.bodyLength])).toEqual(
      [1, 2, 3, 4, 5].map((n) => [
        'message batch unreadable: not a job batch reference; the dead-letter queue takes it',
        n,
        17,
      ]),
    );
    expect(workerLines.join('\n')).not.toContain('a batch');
    // The sixth receive moved it: the queue is empty, the dead-letter queue holds it as it was sent.
    expect(await deployed.endpoint.receiveMessages(queueArn, 10)).toEqual([]);
    const [dead] = await deployed.endpoint.receiveMessages(deadLetterArn, 10);
    expect(dead?.body).toBe('{"not":"a batch"}');
  }, 120_000);
});
