import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { sendInBatches } from '../../../../functions/adapters/queue/sqs-batches.js';

const QUEUE = 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/work';
const sqs = mockClient(SQSClient);
const client = new SQSClient({ region: 'ap-northeast-1' });
const bodies = (n: number) => Array.from({ length: n }, (_, i) => `body-${i}`);
const sent = () => sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('sendInBatches', () => {
  test('10 messages per SendMessageBatch, in order, each entry with an ID unique in its batch', async () => {
    await sendInBatches(client, QUEUE, bodies(23), 'work');
    expect(sent()).toEqual([
      { QueueUrl: QUEUE, Entries: bodies(10).map((body, n) => ({ Id: String(n), MessageBody: body })) },
      {
        QueueUrl: QUEUE,
        Entries: bodies(20)
          .slice(10)
          .map((body, n) => ({ Id: String(n), MessageBody: body })),
      },
      {
        QueueUrl: QUEUE,
        Entries: bodies(23)
          .slice(20)
          .map((body, n) => ({ Id: String(n), MessageBody: body })),
      },
    ]);
  });

  test('exactly 10 is one call, and nothing to send is no call', async () => {
    await sendInBatches(client, QUEUE, bodies(10), 'work');
    expect(sent()).toHaveLength(1);
    sqs.resetHistory();
    await sendInBatches(client, QUEUE, [], 'work');
    expect(sent()).toHaveLength(0);
  });

  test('a batch SQS accepts only in part throws, naming what and how many, and sends no later batch', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }] })
      .resolvesOnce({
        Failed: [
          { Id: '3', SenderFault: false, Code: 'InternalError' },
          { Id: '7', SenderFault: false, Code: 'InternalError' },
        ],
      });
    await expect(sendInBatches(client, QUEUE, bodies(25), 'job batch')).rejects.toThrow(
      'SQS refused 2 job batch message(s).',
    );
    expect(sent()).toHaveLength(2);
  });

  test("the client's own failure reaches the caller", async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('throttled'));
    await expect(sendInBatches(client, QUEUE, bodies(1), 'work')).rejects.toThrow('throttled');
  });
});
