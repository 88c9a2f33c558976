import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { InProcessJobQueue, SqsJobQueue } from '../../../../functions/adapters/queue/job-queues.js';
import type { JobBatchRef } from '../../../../functions/core/member-messages.js';

const QUEUE = 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/jobs';
const refs = (n: number): JobBatchRef[] =>
  Array.from({ length: n }, (_, batch) => ({ jobId: 'job-1', batch }));

describe('SqsJobQueue', () => {
  const sqs = mockClient(SQSClient);
  const queue = new SqsJobQueue(new SQSClient({ region: 'ap-northeast-1' }), QUEUE);
  const sent = () => sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  });

  test('one message per batch, its body the JSON of the reference the worker reads, 10 per call', async () => {
    await queue.enqueue(refs(12));
    const calls = sent();
    expect(calls.map((c) => [c.QueueUrl, c.Entries!.length])).toEqual([
      [QUEUE, 10],
      [QUEUE, 2],
    ]);
    const bodies = calls.flatMap((c) => c.Entries!.map((e) => JSON.parse(e.MessageBody!) as unknown));
    expect(bodies).toEqual(refs(12));
  });

  test('a batch SQS refused in part fails the enqueue, naming job batches', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '1', SenderFault: true, Code: 'X' }] });
    await expect(queue.enqueue(refs(2))).rejects.toThrow('SQS refused 1 job batch message(s).');
  });
});

describe('InProcessJobQueue', () => {
  test('batches run after enqueue answered, one after another, in order', async () => {
    const log: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const queue = new InProcessJobQueue(async (ref) => {
      log.push(`start ${ref.batch}`);
      if (ref.batch === 0) await held;
      log.push(`end ${ref.batch}`);
    });
    await queue.enqueue(refs(3));
    // The request that queued them has its answer while the first batch is still running.
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['start 0']);
    release();
    await queue.idle();
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  test("a batch's error is reported with its reference, and the batches after it still run", async () => {
    const ran: number[] = [];
    const errors: Array<[unknown, JobBatchRef]> = [];
    const boom = new Error('boom');
    const queue = new InProcessJobQueue(
      async (ref) => {
        ran.push(ref.batch);
        if (ref.batch === 1) throw boom;
      },
      (error, ref) => errors.push([error, ref]),
    );
    await queue.enqueue(refs(3));
    await expect(queue.idle()).resolves.toBeUndefined();
    expect(ran).toEqual([0, 1, 2]);
    expect(errors).toEqual([[boom, { jobId: 'job-1', batch: 1 }]]);
  });

  test('work queued by a later call runs after the earlier work', async () => {
    const ran: string[] = [];
    const queue = new InProcessJobQueue(async (ref) => {
      await new Promise((resolve) => setTimeout(resolve, ref.jobId === 'slow' ? 20 : 0));
      ran.push(ref.jobId);
    });
    await queue.enqueue([{ jobId: 'slow', batch: 0 }]);
    await queue.enqueue([{ jobId: 'fast', batch: 0 }]);
    await queue.idle();
    expect(ran).toEqual(['slow', 'fast']);
  });
});
