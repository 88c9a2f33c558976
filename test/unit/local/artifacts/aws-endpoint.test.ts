import {
  functionCredentials,
  startAwsEndpoint,
  type AwsEndpoint,
} from '../../../../functions/local/artifacts/aws-endpoint.js';
import type { DeployedQueue } from '../../../../functions/local/artifacts/types.js';

/** The local SQS's queue semantics that need no DynamoDB: visibility on the endpoint's clock, redrive. */
const REGION = 'ap-northeast-1';
const ACCOUNT = '123456789012';
const queue = (name: string, extra: Partial<DeployedQueue> = {}): DeployedQueue => ({
  stack: 'LineIdLink-Api',
  logicalId: name,
  name,
  arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
  url: `http://127.0.0.1:9/${ACCOUNT}/${name}`,
  ...extra,
});
const deadLetters = queue('DeadLetters');
const batches = queue('Batches', {
  visibilityTimeoutSeconds: 1800,
  redrive: { deadLetterTargetArn: deadLetters.arn, maxReceiveCount: 3 },
});

let endpoint: AwsEndpoint;
const START = Date.UTC(2026, 0, 1);
let clock = START;
beforeEach(async () => {
  clock = START;
  endpoint = await startAwsEndpoint({
    region: REGION,
    account: ACCOUNT,
    dynamodbEndpoint: 'http://127.0.0.1:9',
    credentials: functionCredentials(['Worker', 'Publisher']),
    secrets: [],
    queues: [batches, deadLetters],
    buses: [],
    tables: [],
    now: () => new Date(clock),
  });
});
afterEach(() => endpoint.close());

const later = (seconds: number) => {
  clock += seconds * 1000;
};

it('hides a received message for the queue’s visibility timeout, on the endpoint’s clock', async () => {
  endpoint.sendOnBehalfOf('Publisher', batches.arn, '{"jobId":"j","batch":0}');
  const [first] = await endpoint.receiveMessages(batches.arn, 10);
  expect(first).toMatchObject({
    body: '{"jobId":"j","batch":0}',
    attributes: { ApproximateReceiveCount: '1' },
  });
  later(1799);
  expect(await endpoint.receiveMessages(batches.arn, 10)).toEqual([]);
  later(1);
  const [again] = await endpoint.receiveMessages(batches.arn, 10);
  expect(again).toMatchObject({ messageId: first!.messageId, attributes: { ApproximateReceiveCount: '2' } });
});

it('moves a message received maxReceiveCount times to the dead-letter queue at its next receive', async () => {
  endpoint.sendOnBehalfOf('Publisher', batches.arn, 'never succeeds');
  const received: string[] = [];
  for (let i = 0; i < 3; i++) {
    const [message] = await endpoint.receiveMessages(batches.arn, 10);
    received.push(message!.attributes.ApproximateReceiveCount);
    later(1800);
  }
  expect(received).toEqual(['1', '2', '3']);
  expect(await endpoint.receiveMessages(batches.arn, 10)).toEqual([]);
  const [dead] = await endpoint.receiveMessages(deadLetters.arn, 10);
  expect(dead).toMatchObject({
    body: 'never succeeds',
    eventSourceARN: deadLetters.arn,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(START) },
  });
});

it('leaves a message deleted before its last receive where it is, and one of a queue without redrive', async () => {
  endpoint.sendOnBehalfOf('Publisher', batches.arn, 'done at the third try');
  for (let i = 0; i < 3; i++) {
    const [message] = await endpoint.receiveMessages(batches.arn, 10);
    if (i === 2) endpoint.deleteMessages(batches.arn, [message!.receiptHandle]);
    later(1800);
  }
  expect(await endpoint.receiveMessages(deadLetters.arn, 10)).toEqual([]);

  endpoint.sendOnBehalfOf('Publisher', deadLetters.arn, 'no redrive here');
  for (let i = 0; i < 5; i++) {
    expect(await endpoint.receiveMessages(deadLetters.arn, 10)).toHaveLength(1);
    later(30);
  }
});

it('records what AWS sends with a function’s role as that function’s call', () => {
  endpoint.sendOnBehalfOf('Publisher', deadLetters.arn, '{}');
  expect(endpoint.calls()).toEqual([
    { functionLogicalId: 'Publisher', action: 'sqs:SendMessage', resource: deadLetters.arn },
  ]);
});
