import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  InProcessWebhookWorkQueue,
  SqsWebhookWorkQueue,
} from '../../../../functions/adapters/queue/webhook-work-queues.js';
import type { WebhookReplyWork } from '../../../../functions/core/webhook-events.js';

const QUEUE = 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/webhook-work';
const work = (n: number): WebhookReplyWork[] =>
  Array.from({ length: n }, (_, i) =>
    i % 2 === 0
      ? { kind: 'offer-link', webhookEventId: `ev-${i}`, lineUserId: `U${i}`, replyToken: `r-${i}` }
      : {
          kind: 'reply',
          webhookEventId: `ev-${i}`,
          replyToken: `r-${i}`,
          messages: [{ type: 'text', text: 'hi' }],
        },
  );

describe('SqsWebhookWorkQueue', () => {
  const sqs = mockClient(SQSClient);
  const queue = new SqsWebhookWorkQueue(new SQSClient({ region: 'ap-northeast-1' }), QUEUE);
  const sent = () => sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  test('one message per piece of work, its body the JSON the worker reads, 10 per call', async () => {
    await queue.enqueue(work(11));
    const calls = sent();
    expect(calls.map((c) => [c.QueueUrl, c.Entries!.length])).toEqual([
      [QUEUE, 10],
      [QUEUE, 1],
    ]);
    const bodies = calls.flatMap((c) => c.Entries!.map((e) => JSON.parse(e.MessageBody!) as unknown));
    expect(bodies).toEqual(work(11));
  });

  test('a batch SQS refused in part fails the enqueue, naming webhook work', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '0', SenderFault: false, Code: 'X' }] });
    await expect(queue.enqueue(work(3))).rejects.toThrow('SQS refused 1 webhook work message(s).');
  });
});

describe('InProcessWebhookWorkQueue', () => {
  test('the work runs after enqueue answered, one piece after another, in order', async () => {
    const log: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const queue = new InProcessWebhookWorkQueue(async (item) => {
      log.push(`start ${item.webhookEventId}`);
      if (item.webhookEventId === 'ev-0') await held;
      log.push(`end ${item.webhookEventId}`);
      return 'replied';
    });
    await queue.enqueue(work(2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['start ev-0']);
    release();
    await queue.idle();
    expect(log).toEqual(['start ev-0', 'end ev-0', 'start ev-1', 'end ev-1']);
  });

  test("a piece's error is reported with the piece, and the work after it still runs", async () => {
    const ran: string[] = [];
    const errors: Array<[unknown, WebhookReplyWork]> = [];
    const boom = new Error('LINE unavailable');
    const items = work(3);
    const queue = new InProcessWebhookWorkQueue(
      async (item) => {
        ran.push(item.webhookEventId);
        if (item.webhookEventId === 'ev-1') throw boom;
      },
      (error, item) => errors.push([error, item]),
    );
    await queue.enqueue(items);
    await expect(queue.idle()).resolves.toBeUndefined();
    expect(ran).toEqual(['ev-0', 'ev-1', 'ev-2']);
    expect(errors).toEqual([[boom, items[1]]]);
  });
});
