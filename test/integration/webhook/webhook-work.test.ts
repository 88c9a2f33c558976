import { randomBytes } from 'node:crypto';
import {
  MESSAGING_CHANNEL_ID,
  MESSAGING_CHANNEL_SECRET,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import type { SentMessage, WebhookDelivery } from '../../../functions/local/emulators/line-messaging.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * The webhook's LINE work (link tokens, replies) after its answer, fed by the LINE Platform
 * emulator: LINE's 2 s webhook deadline holds whatever LINE's own APIs do, and each event's
 * work is still done once. In the handlers' source (`npm start`) the work runs in the API process
 * after the answer (WEBHOOK_QUEUE_URL unset); in the deployed-artifact mode it goes through the
 * template's SQS queue to the worker's bundle (lib/constructs/webhook-work.ts).
 */

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    LINE_MESSAGING_CHANNEL_ID: MESSAGING_CHANNEL_ID,
    LINE_MESSAGING_CHANNEL_SECRET: MESSAGING_CHANNEL_SECRET,
    // The worker waits for LINE longer than a slow link-token API takes (3 s is the default).
    OUTBOUND_TIMEOUT_MS: '3000',
  });
  stack.line.messaging.webhookUrl = `${stack.api.url}/webhook/line`;
  // The cold starts (the webhook's, its storage client's, the worker's) happen here, not in a
  // timed delivery.
  const warmUp = await stack.line.messaging.follow(newUser('warm-up'));
  expect('delivery' in warmUp && warmUp.delivery.status).toBe(200);
  await stack.webhookWorkDone();
});

afterAll(async () => {
  await stack.close();
});

afterEach(() => {
  for (const endpoint of ['linkToken', 'reply'] as const) stack.line.messaging.setFault(endpoint, null);
});

/** Only in the deployed-artifact mode (the `deployed` jest project), where the template's queue runs. */
const itDeployed = process.env.DEPLOYED_ASSEMBLY ? it : it.skip;

/** LINE's webhook deadline (https://developers.line.biz/en/docs/messaging-api/receiving-messages/). */
const LINE_DEADLINE_MS = 2000;

const newUser = (label: string) => testLineUserId(`webhook-work-${label}-${randomBytes(4).toString('hex')}`);
const repliesTo = (userId: string): SentMessage[] =>
  stack.line.messaging.sent.filter((s) => s.to === userId && s.kind === 'reply');
/** The distinct linking URLs in messages (a buttons template carries its URL twice). */
const linkingUrls = (messages: readonly SentMessage[]) => [
  ...new Set(
    messages.flatMap(
      (m) =>
        JSON.stringify(m.message).match(/https?:\/\/[^"\s]+\/account-link\/start\?linkToken=[^"\s]+/g) ?? [],
    ),
  ),
];
const str = (value: unknown) => (value as { S?: string } | undefined)?.S;
const claimOf = async (webhookEventId: string) =>
  (await stack.scan('messaging')).find((item) => str(item.pk) === `EVENT#${webhookEventId}`);

/** The user adds the Official Account; resolves with LINE's delivery and how long the webhook took to answer. */
async function follow(userId: string): Promise<{ delivery: WebhookDelivery; answeredInMs: number }> {
  const started = performance.now();
  const result = await stack.line.messaging.follow(userId);
  const answeredInMs = performance.now() - started;
  if (!('delivery' in result)) throw new Error(`no follow sent: ${result.skipped}`);
  expect(result.delivery.status).toBe(200);
  return { delivery: result.delivery, answeredInMs };
}

/** LINE's redelivery of a delivery's events (same webhookEventIds, `isRedelivery: true`). */
async function redeliver(delivery: WebhookDelivery): Promise<number> {
  const again = await stack.line.messaging.deliver(
    delivery.events.map((e) => ({ ...e, deliveryContext: { isRedelivery: true } })),
  );
  return again.status!;
}

describe('LINE work after the answer', () => {
  it('answers within LINE’s deadline while the link-token API takes 2.5 s; the reply comes after, once', async () => {
    const userId = newUser('slow');
    stack.line.messaging.setFault('linkToken', { delayMs: 2500, times: 1 });
    const started = performance.now();
    const { delivery, answeredInMs } = await follow(userId);
    expect(answeredInMs).toBeLessThan(LINE_DEADLINE_MS / 2);
    // LINE is still issuing the link token: nothing was replied yet.
    expect(repliesTo(userId)).toHaveLength(0);

    await stack.webhookWorkDone();
    expect(performance.now() - started).toBeGreaterThanOrEqual(2500);
    const replies = repliesTo(userId);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.delivered).toBe(true);
    expect(linkingUrls(replies)).toHaveLength(1);
    // Done, and recorded as done: the claim no longer holds the work (its reply token, the user).
    const claim = await claimOf(delivery.events[0]!.webhookEventId);
    expect(claim).toMatchObject({ workDone: { BOOL: true }, workOutcome: { S: 'replied' } });
    expect(claim?.work).toBeUndefined();
  });

  it('a redelivery of the event before its work finished replies no second time', async () => {
    const userId = newUser('redelivered');
    stack.line.messaging.setFault('linkToken', { delayMs: 2500, times: 1 });
    const { delivery } = await follow(userId);
    // LINE redelivers while the work is still waiting for the link token (the same event ID).
    const started = performance.now();
    expect(await redeliver(delivery)).toBe(200);
    expect(performance.now() - started).toBeLessThan(LINE_DEADLINE_MS / 2);
    expect(repliesTo(userId)).toHaveLength(0);

    await stack.webhookWorkDone();
    expect(repliesTo(userId)).toHaveLength(1);
    // And once more after it was done: nothing is queued, nothing replied.
    expect(await redeliver(delivery)).toBe(200);
    await stack.webhookWorkDone();
    expect(repliesTo(userId)).toHaveLength(1);
  });

  it('a LINE 5xx on the reply is tried again, and the user gets one reply', async () => {
    const userId = newUser('reply-5xx');
    stack.line.messaging.setFault('reply', { status: 500, times: 1 });
    const { delivery } = await follow(userId);
    await stack.webhookWorkDone();
    expect(repliesTo(userId)).toHaveLength(0);
    const webhookEventId = delivery.events[0]!.webhookEventId;
    // Not done: the work stays on the event's claim.
    const pending = await claimOf(webhookEventId);
    expect(pending?.workDone).toBeUndefined();
    expect(pending?.work).toBeDefined();

    if (stack.deployed) {
      // SQS: the message the worker reported failed is received again after its visibility
      // timeout (6 × the worker's 30 s), and the second run replies.
      expect(stack.advanceQueueClock).toBeDefined();
      stack.advanceQueueClock!(181_000);
    } else {
      // The handlers' source has no queue to retry with: the in-process queue only logs the
      // failure ("webhook work failed"). The work stays pending on the claim, so LINE's
      // redelivery of the event (or any delivery of it) queues it again.
      expect(await redeliver(delivery)).toBe(200);
    }
    await stack.webhookWorkDone();
    const replies = repliesTo(userId);
    expect(replies).toHaveLength(1);
    expect(linkingUrls(replies)).toHaveLength(1);
    expect(await claimOf(webhookEventId)).toMatchObject({
      workDone: { BOOL: true },
      workOutcome: { S: 'replied' },
    });
  });

  it('a refusal by LINE (a link token for a user who is not a friend) is final: recorded, not retried', async () => {
    const userId = newUser('refused');
    // A follow LINE would not send as such: the user is no friend, so LINE refuses the link token.
    const event = stack.line.messaging.buildEvent('follow', userId, {
      replyToken: stack.line.messaging.replyToken(userId),
      follow: { isUnblocked: false },
    });
    expect((await stack.line.messaging.deliver([event])).status).toBe(200);
    await stack.webhookWorkDone();
    expect(await claimOf(event.webhookEventId)).toMatchObject({
      workDone: { BOOL: true },
      workOutcome: { S: 'refused' },
    });
    if (stack.deployed) {
      stack.advanceQueueClock!(181_000);
      await stack.webhookWorkDone();
    }
    expect(repliesTo(userId)).toHaveLength(0);
  });

  // The handlers' source has no queue; the worker's handling of such a body is unit-tested
  // (test/unit/handlers/webhook-work-sqs.test.ts).
  itDeployed(
    'a message that is not webhook work is redriven to the dead-letter queue after 3 receives',
    async () => {
      const { app, endpoint } = stack.deployed!;
      const worker = app.functions.find((f) => f.path.includes('/WebhookWork/Worker/'))!;
      const mapping = app.eventSources.find((m) => m.functionLogicalId === worker.logicalId)!;
      const queue = app.queues.find(
        (q) => mapping.source.kind === 'sqs' && q.logicalId === mapping.source.queueLogicalId,
      )!;
      expect(queue.redrive?.maxReceiveCount).toBe(3);
      const webhook = app.httpApi.routes.find((r) => r.routeKey === 'POST /webhook/line')!.functionLogicalId;
      // What a broken sender would queue; the webhook is the function allowed to.
      endpoint.sendOnBehalfOf(webhook, queue.arn, '{"kind":"reply"}');
      for (let receive = 1; receive <= 3; receive++) {
        await stack.webhookWorkDone();
        stack.advanceQueueClock!(181_000);
      }
      await stack.webhookWorkDone();
      expect(await endpoint.receiveMessages(queue.arn, 10)).toEqual([]);
      const [dead] = await endpoint.receiveMessages(queue.redrive!.deadLetterTargetArn, 10);
      expect(dead?.body).toBe('{"kind":"reply"}');
    },
  );
});
