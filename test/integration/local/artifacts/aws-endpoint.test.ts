import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  functionCredentials,
  localQueueUrl,
  startAwsEndpoint,
  type AwsEndpoint,
} from '../../../../functions/local/artifacts/aws-endpoint.js';
import type {
  DeployedQueue,
  DeployedTable,
  FunctionCredentials,
} from '../../../../functions/local/artifacts/types.js';

const REGION = 'ap-northeast-1';
const ACCOUNT = '123456789012';
const suffix = randomBytes(4).toString('hex');
const linksName = `aws-endpoint-links-${suffix}`;
const membersName = `aws-endpoint-members-${suffix}`;
const tableArn = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
const secretArn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:LineChannelSecret-AbCdEf`;
const busArn = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/LineIdLink-link-events`;
const queueArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:MessageJobsBatches`;

const tables: DeployedTable[] = [linksName, membersName].map((name) => ({
  stack: 'LineIdLink-Stateful',
  logicalId: name,
  name,
  arn: tableArn(name),
  createTableInput: {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'memberId', AttributeType: 'S' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byMember',
        KeySchema: [{ AttributeName: 'memberId', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  },
}));

let endpoint: AwsEndpoint;
let queueUrl: string;
let caller: FunctionCredentials;
const direct = new DynamoDBClient({
  endpoint: process.env.DYNAMODB_ENDPOINT,
  region: REGION,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/** A client configured as the functions' SDK is: only the endpoint, the region and its keys. */
function clientConfig(credentials: FunctionCredentials) {
  return {
    endpoint: endpoint.url,
    region: REGION,
    maxAttempts: 1,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
  };
}

beforeAll(async () => {
  for (const table of tables) await direct.send(new CreateTableCommand(table.createTableInput));
  const credentials = functionCredentials(['LinksPost', 'MessageJobsWorker']);
  caller = credentials[0]!;
  // As the template gives it; the functions get the endpoint's own URL for it (localQueueUrl).
  const queue: DeployedQueue = {
    stack: 'LineIdLink-Api',
    logicalId: 'MessageJobsBatches',
    name: 'MessageJobsBatches',
    arn: queueArn,
    url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/MessageJobsBatches`,
    visibilityTimeoutSeconds: 1800,
  };
  endpoint = await startAwsEndpoint({
    region: REGION,
    account: ACCOUNT,
    dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT!,
    credentials,
    secrets: [{ arn: secretArn, name: 'LineChannelSecret-AbCdEf', value: 'channel-secret-value' }],
    queues: [queue],
    buses: [
      { stack: 'LineIdLink-Api', logicalId: 'LinkEventsBus', name: 'LineIdLink-link-events', arn: busArn },
    ],
    tables,
  });
  queueUrl = localQueueUrl(endpoint.url, ACCOUNT, 'MessageJobsBatches');
});

afterAll(async () => {
  await endpoint?.close();
  for (const table of tables) await direct.send(new DeleteTableCommand({ TableName: table.name }));
  direct.destroy();
});

const callsSince = (from: number) => endpoint.calls().slice(from);

describe('the local AWS endpoint', () => {
  it('forwards DynamoDB calls to DynamoDB Local and records each with its table or index ARN', async () => {
    const from = endpoint.calls().length;
    const client = new DynamoDBClient(clientConfig(caller));
    await client.send(
      new PutItemCommand({ TableName: linksName, Item: { pk: { S: 'a' }, memberId: { S: 'm1' } } }),
    );
    const got = await client.send(new GetItemCommand({ TableName: linksName, Key: { pk: { S: 'a' } } }));
    const byMember = await client.send(
      new QueryCommand({
        TableName: linksName,
        IndexName: 'byMember',
        KeyConditionExpression: 'memberId = :m',
        ExpressionAttributeValues: { ':m': { S: 'm1' } },
      }),
    );
    client.destroy();

    expect(got.Item?.memberId).toEqual({ S: 'm1' });
    expect(byMember.Count).toBe(1);
    expect(callsSince(from)).toEqual([
      { functionLogicalId: 'LinksPost', action: 'dynamodb:PutItem', resource: tableArn(linksName) },
      { functionLogicalId: 'LinksPost', action: 'dynamodb:GetItem', resource: tableArn(linksName) },
      {
        functionLogicalId: 'LinksPost',
        action: 'dynamodb:Query',
        resource: `${tableArn(linksName)}/index/byMember`,
      },
    ]);
  });

  it('records a transaction as one call per item, with the item’s own action', async () => {
    const from = endpoint.calls().length;
    const client = new DynamoDBClient(clientConfig(caller));
    await client.send(
      new PutItemCommand({ TableName: membersName, Item: { pk: { S: 'm2' }, memberId: { S: 'm2' } } }),
    );
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: linksName, Item: { pk: { S: 'b' }, memberId: { S: 'm2' } } } },
          {
            ConditionCheck: {
              TableName: membersName,
              Key: { pk: { S: 'm2' } },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
        ],
      }),
    );
    client.destroy();

    const stored = await direct.send(new GetItemCommand({ TableName: linksName, Key: { pk: { S: 'b' } } }));
    expect(stored.Item?.memberId).toEqual({ S: 'm2' });
    expect(callsSince(from).slice(1)).toEqual([
      { functionLogicalId: 'LinksPost', action: 'dynamodb:PutItem', resource: tableArn(linksName) },
      {
        functionLogicalId: 'LinksPost',
        action: 'dynamodb:ConditionCheckItem',
        resource: tableArn(membersName),
      },
    ]);
  });

  it('passes DynamoDB Local’s errors through with their type', async () => {
    const client = new DynamoDBClient(clientConfig(caller));
    await expect(
      client.send(
        new PutItemCommand({
          TableName: linksName,
          Item: { pk: { S: 'a' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    client.destroy();
  });

  it('refuses a wrong secret key or an unknown access key, and records nothing', async () => {
    const from = endpoint.calls().length;
    const wrongSecret = new DynamoDBClient({
      ...clientConfig(caller),
      credentials: { accessKeyId: caller.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    const unknownKey = new SecretsManagerClient({
      ...clientConfig(caller),
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: caller.secretAccessKey },
    });
    await expect(
      wrongSecret.send(new GetItemCommand({ TableName: linksName, Key: { pk: { S: 'a' } } })),
    ).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400 } });
    await expect(unknownKey.send(new GetSecretValueCommand({ SecretId: secretArn }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    wrongSecret.destroy();
    unknownKey.destroy();
    expect(callsSince(from)).toEqual([]);
  });

  it('answers GetSecretValue by ARN or name, and ResourceNotFoundException for another secret', async () => {
    const from = endpoint.calls().length;
    const client = new SecretsManagerClient(clientConfig(caller));
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const byName = await client.send(new GetSecretValueCommand({ SecretId: 'LineChannelSecret-AbCdEf' }));
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'Other' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    client.destroy();

    expect(byArn).toMatchObject({ ARN: secretArn, SecretString: 'channel-secret-value' });
    expect(byName.SecretString).toBe('channel-secret-value');
    expect(callsSince(from).map((c) => c.resource)).toEqual([
      secretArn,
      secretArn,
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:Other`,
    ]);
  });

  it('keeps an SQS queue: send, receive (MD5 checked by the SDK), delete', async () => {
    const worker = endpoint.credentialsFor('MessageJobsWorker');
    const from = endpoint.calls().length;
    const sender = new SQSClient(clientConfig(caller));
    const receiver = new SQSClient(clientConfig(worker));
    const sent = await sender.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'job één' }));
    const received = await receiver.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(received.Messages?.map((m) => [m.MessageId, m.Body])).toEqual([[sent.MessageId, 'job één']]);
    const hidden = await receiver.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
    expect(hidden.Messages ?? []).toEqual([]);
    await receiver.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: received.Messages![0]!.ReceiptHandle! }),
    );
    sender.destroy();
    receiver.destroy();

    expect(callsSince(from)).toEqual([
      { functionLogicalId: 'LinksPost', action: 'sqs:SendMessage', resource: queueArn },
      { functionLogicalId: 'MessageJobsWorker', action: 'sqs:ReceiveMessage', resource: queueArn },
      { functionLogicalId: 'MessageJobsWorker', action: 'sqs:ReceiveMessage', resource: queueArn },
      { functionLogicalId: 'MessageJobsWorker', action: 'sqs:DeleteMessage', resource: queueArn },
    ]);
  });

  it('hands queued messages to an event-source poller as SQS event records', async () => {
    let woken = 0;
    const stop = endpoint.onMessage(queueArn, () => (woken += 1));
    const pending = endpoint.receiveMessages(queueArn, 10, { waitMs: 2000 });
    const sender = new SQSClient(clientConfig(caller));
    await sender.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: '1', MessageBody: 'one' },
          { Id: '2', MessageBody: 'two' },
        ],
      }),
    );
    sender.destroy();
    const records = await pending;
    stop();

    expect(woken).toBeGreaterThan(0);
    expect(records.map((r) => r.body).sort()).toEqual(['one', 'two']);
    expect(records[0]).toMatchObject({ eventSource: 'aws:sqs', eventSourceARN: queueArn, awsRegion: REGION });
    expect(records[0]!.attributes.ApproximateReceiveCount).toBe('1');
    endpoint.deleteMessages(
      queueArn,
      records.map((r) => r.receiptHandle),
    );
    expect(await endpoint.receiveMessages(queueArn, 10, { visibilityTimeoutSeconds: 0 })).toEqual([]);
  });

  it('records EventBridge entries against their bus', async () => {
    const from = endpoint.calls().length;
    const client = new EventBridgeClient(clientConfig(caller));
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'LineIdLink-link-events',
            Source: 'line-id-link',
            DetailType: 'LinkCreated',
            Detail: '{"a":1}',
          },
          { Source: 'line-id-link', DetailType: 'Other', Detail: '{}' },
        ],
      }),
    );
    client.destroy();

    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries?.every((e) => typeof e.EventId === 'string')).toBe(true);
    expect(callsSince(from).map((c) => [c.action, c.resource])).toEqual([
      ['events:PutEvents', busArn],
      ['events:PutEvents', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`],
    ]);
    expect(endpoint.events().slice(-2)).toMatchObject([
      { functionLogicalId: 'LinksPost', eventBusArn: busArn, detailType: 'LinkCreated', detail: '{"a":1}' },
      { eventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`, detailType: 'Other' },
    ]);
  });

  it('sends SDK clients there through AWS_ENDPOINT_URL alone', async () => {
    const previous = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = endpoint.url;
    try {
      const from = endpoint.calls().length;
      const { region, maxAttempts, credentials } = clientConfig(caller);
      const client = new DynamoDBClient({ region, maxAttempts, credentials });
      await client.send(new GetItemCommand({ TableName: membersName, Key: { pk: { S: 'm2' } } }));
      client.destroy();
      expect(callsSince(from)).toEqual([
        { functionLogicalId: 'LinksPost', action: 'dynamodb:GetItem', resource: tableArn(membersName) },
      ]);
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = previous;
    }
  });

  it('records a call nobody stands in for and refuses it loudly', async () => {
    const from = endpoint.calls().length;
    const client = new SecretsManagerClient(clientConfig(caller));
    await expect(
      client.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'AWSCURRENT' })),
    ).resolves.toBeDefined();
    const { DescribeSecretCommand } = await import('@aws-sdk/client-secrets-manager');
    await expect(client.send(new DescribeSecretCommand({ SecretId: secretArn }))).rejects.toMatchObject({
      name: 'UnknownOperationException',
      $metadata: { httpStatusCode: 400 },
    });
    client.destroy();
    expect(callsSince(from).map((c) => c.action)).toEqual([
      'secretsmanager:GetSecretValue',
      'secretsmanager:DescribeSecret',
    ]);
  });
});
