import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { DescribeTableCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createDocumentClient } from '../../../functions/adapters/dynamo/dynamo-client.js';
import { EventBridgeLinkEventPublisher } from '../../../functions/adapters/events/eventbridge-link-event-publisher.js';
import { createLinksStreamHandler } from '../../../functions/handlers/links-stream.js';
import { lambdaContext } from '../../../functions/local/api-gateway-adapter.js';
import { configureLogger } from '../../../functions/observability/logger.js';
import { configureMetrics } from '../../../functions/observability/settings.js';
import { DynamoLinkRepository } from '../../../functions/adapters/dynamo/dynamo-link-repository.js';
import {
  createTableIfAbsent,
  localClient,
  taggedTableNames,
} from '../../../functions/local/dynamodb-local.js';
import { startStreamPoller, toLambdaRecord } from '../../../functions/local/artifacts/event-sources.js';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';

/**
 * The links stream function against a real stream: links and unlinks written to DynamoDB Local,
 * the records read from its DynamoDB Streams API as Lambda hands them over, the real handler, and
 * EventBridge's PutEvents answered by a local server that fails the calls a test picks.
 */

const REGION = 'us-east-1';
const BUS = 'line-id-link-link-events-test';

/** One PutEvents entry the local EventBridge received. */
interface ReceivedEntry {
  DetailType: string;
  EventBusName: string;
  Source: string;
  detail: {
    type: string;
    idempotencyKey: string;
    lineUserId: string;
    companyUserId: string;
    friend: unknown;
  };
}

/** How the local EventBridge answers a PutEvents: accept it, refuse its entries, or fail (HTTP 500). */
type Answer = 'accept' | 'refuse' | 'fail';

let server: Server;
let endpointUrl: string;
const accepted: ReceivedEntry[] = [];
let calls = 0;
let answerFor: (entries: ReceivedEntry[]) => Answer = () => 'accept';

let dynamo: DynamoDBClient;
let streams: DynamoDBStreamsClient;
let links: DynamoLinkRepository;
let tableName: string;
let handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
const output: string[] = [];
let eventBridge: EventBridgeClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      calls++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        Entries?: Array<Omit<ReceivedEntry, 'detail'> & { Detail: string }>;
      };
      const target = String(req.headers['x-amz-target']);
      const entries = (body.Entries ?? []).map(({ Detail, ...entry }) => ({
        ...entry,
        detail: JSON.parse(Detail) as ReceivedEntry['detail'],
      }));
      const answer = target === 'AWSEvents.PutEvents' ? answerFor(entries) : 'fail';
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(json));
      };
      if (answer === 'fail') return reply(500, { __type: 'InternalException', message: 'Internal error.' });
      if (answer === 'refuse')
        return reply(200, {
          FailedEntryCount: entries.length,
          Entries: entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'Try again.' })),
        });
      accepted.push(...entries);
      reply(200, {
        FailedEntryCount: 0,
        Entries: entries.map(() => ({ EventId: randomBytes(8).toString('hex') })),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpointUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const dynamoEndpoint = process.env.DYNAMODB_ENDPOINT!;
  dynamo = localClient(dynamoEndpoint);
  streams = new DynamoDBStreamsClient({
    endpoint: dynamoEndpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // The links table as the stateful stack defines it: key `pk`, a NEW_AND_OLD_IMAGES stream.
  tableName = taggedTableNames(randomBytes(4).toString('hex')).links;
  await createTableIfAbsent(dynamo, {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  });
  links = new DynamoLinkRepository(createDocumentClient({ endpoint: dynamoEndpoint }), tableName);

  // The function as its composition root builds it, its EventBridge client at the local server;
  // its logs and metrics on, as in Lambda.
  configureLogger({ serviceName: 'line-id-link', logLevel: 'INFO' });
  configureMetrics({ serviceName: 'line-id-link', metricsNamespace: 'LineIdLink', metricsEnabled: true });
  eventBridge = new EventBridgeClient({
    endpoint: endpointUrl,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const streamFunction = createLinksStreamHandler({
    publisher: new EventBridgeLinkEventPublisher(eventBridge, BUS),
  });
  handler = (event) => streamFunction(event, lambdaContext('links-stream', randomBytes(8).toString('hex')));
  const capture = (chunk: unknown) => (output.push(String(chunk)), true);
  jest.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
});

afterAll(async () => {
  jest.restoreAllMocks();
  eventBridge.destroy();
  dynamo.destroy();
  streams.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  accepted.length = 0;
  calls = 0;
  output.length = 0;
  answerFor = () => 'accept';
});

/** The stream's shard iterators, kept across reads so each read returns what came since the last. */
const iterators = new Map<string, string | undefined>();
let streamArn = '';

/** Every stream record written since the last call, as Lambda hands records to the function. */
async function newRecords(): Promise<DynamoDBRecord[]> {
  streamArn ||= (await dynamo.send(new DescribeTableCommand({ TableName: tableName }))).Table!
    .LatestStreamArn!;
  const stream = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  for (const shard of stream.StreamDescription?.Shards ?? []) {
    if (iterators.has(shard.ShardId!)) continue;
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.ShardId!,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    iterators.set(shard.ShardId!, ShardIterator);
  }
  const records: DynamoDBRecord[] = [];
  for (const [shardId, iterator] of iterators) {
    let next = iterator;
    while (next) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: next }));
      records.push(
        ...(page.Records ?? []).map(
          (record) => toLambdaRecord(record, { region: REGION, eventSourceArn: streamArn }) as DynamoDBRecord,
        ),
      );
      iterators.set(shardId, page.NextShardIterator);
      if (!page.Records?.length) break;
      next = page.NextShardIterator;
    }
  }
  return records;
}

let seq = 0;
/** A link written as the service writes it (both sides in one transaction). */
async function link(label: string) {
  const lineUserId = testLineUserId(`stream-${label}-${++seq}-${Date.now()}`);
  const companyUserId = `M-STREAM-${label}-${seq}`;
  await links.create({ lineUserId, companyUserId, method: 'oidc', linkedAt: new Date().toISOString() });
  return { lineUserId, companyUserId };
}

/** What a follow webhook writes on the LINE side of a link. */
async function follow(lineUserId: string) {
  await dynamo.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { pk: { S: `LINE#${lineUserId}` } },
      UpdateExpression: 'SET friend = :f, friendUpdatedAt = :at',
      ExpressionAttributeValues: { ':f': { BOOL: true }, ':at': { S: new Date().toISOString() } },
    }),
  );
}

const published = () => accepted.map((e) => `${e.DetailType} ${e.detail.companyUserId}`);
const batch = (records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });
/** The record of the LINE side of a user's change (the one the function publishes). */
const lineRecord = (records: DynamoDBRecord[], lineUserId: string, eventName: string) =>
  records.find(
    (r) => r.eventName === eventName && (r.dynamodb?.Keys?.pk as { S?: string }).S === `LINE#${lineUserId}`,
  )!;
const logEntries = () =>
  output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{') && !line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const metricNames = () =>
  output
    .join('')
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .flatMap((line) =>
      (
        JSON.parse(line) as { _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> } }
      )._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name)),
    );

it('publishes links, reachability changes and unlinks in the order of the stream, keyed by the record', async () => {
  await newRecords();
  const a = await link('order-a');
  await follow(a.lineUserId);
  await links.deleteByLineUserId(a.lineUserId);
  const b = await link('order-b');
  const records = await newRecords();
  // Both sides of each link are in the stream; only the LINE side is published.
  expect(records.map((r) => r.eventName)).toEqual([
    'INSERT',
    'INSERT',
    'MODIFY',
    'REMOVE',
    'REMOVE',
    'INSERT',
    'INSERT',
  ]);

  expect(await handler(batch(records))).toEqual({ batchItemFailures: [] });
  expect(published()).toEqual([
    `Link Created ${a.companyUserId}`,
    `Link Reachability Changed ${a.companyUserId}`,
    `Link Removed ${a.companyUserId}`,
    `Link Created ${b.companyUserId}`,
  ]);
  expect(accepted.map((e) => e.detail.idempotencyKey)).toEqual([
    lineRecord(records, a.lineUserId, 'INSERT').eventID,
    lineRecord(records, a.lineUserId, 'MODIFY').eventID,
    lineRecord(records, a.lineUserId, 'REMOVE').eventID,
    lineRecord(records, b.lineUserId, 'INSERT').eventID,
  ]);
  expect(accepted.every((e) => e.EventBusName === BUS && e.Source === 'line-id-link')).toBe(true);
  expect(logEntries().filter((e) => e.level === 'ERROR')).toEqual([]);
});

it('reports the first record EventBridge refused by its sequence number, publishes nothing after it, and logs why', async () => {
  await newRecords();
  const a = await link('refused-a');
  const b = await link('refused-b');
  await links.deleteByLineUserId(b.lineUserId);
  const c = await link('refused-c');
  const records = await newRecords();
  answerFor = (entries) =>
    entries.some((e) => e.detail.companyUserId === b.companyUserId) ? 'refuse' : 'accept';

  const failed = lineRecord(records, b.lineUserId, 'INSERT');
  expect(await handler(batch(records))).toEqual({
    batchItemFailures: [{ itemIdentifier: failed.dynamodb!.SequenceNumber }],
  });
  // Order holds: nothing after the refused record went out.
  expect(published()).toEqual([`Link Created ${a.companyUserId}`]);
  const errors = logEntries().filter((e) => e.level === 'ERROR');
  expect(errors).toEqual([
    expect.objectContaining({
      message: 'link event not published: the batch is retried from this record',
      eventID: failed.eventID,
      sequenceNumber: failed.dynamodb!.SequenceNumber,
      eventName: 'INSERT',
      error: { name: 'Error', message: 'EventBridge refused 1 link event(s).' },
    }),
  ]);
  expect(metricNames()).toEqual(['LinkEventsNotPublished']);

  // Lambda's retry: the batch from the reported record on, EventBridge accepting again.
  answerFor = () => 'accept';
  const from = records.indexOf(failed);
  expect(await handler(batch(records.slice(from)))).toEqual({ batchItemFailures: [] });
  expect(published()).toEqual([
    `Link Created ${a.companyUserId}`,
    `Link Created ${b.companyUserId}`,
    `Link Removed ${b.companyUserId}`,
    `Link Created ${c.companyUserId}`,
  ]);
});

it('reports a record EventBridge fails on (HTTP 500 through the SDK retries) with the SDK error logged', async () => {
  await newRecords();
  const a = await link('down-a');
  const records = await newRecords();
  answerFor = () => 'fail';
  const failed = lineRecord(records, a.lineUserId, 'INSERT');
  expect(await handler(batch(records))).toEqual({
    batchItemFailures: [{ itemIdentifier: failed.dynamodb!.SequenceNumber }],
  });
  expect(calls).toBe(3); // the SDK's own attempts, then the record is reported
  expect(accepted).toEqual([]);
  expect(logEntries().filter((e) => e.level === 'ERROR')).toEqual([
    expect.objectContaining({
      eventID: failed.eventID,
      sequenceNumber: failed.dynamodb!.SequenceNumber,
      error: expect.objectContaining({
        name: 'InternalException',
        code: 'InternalException',
        httpStatus: 500,
      }),
    }),
  ]);
});

it('logs and skips a record that can never be read, and publishes the rest in order', async () => {
  await newRecords();
  const a = await link('malformed-a');
  const b = await link('malformed-b');
  const records = await newRecords();
  const broken = [
    { ...records[0]!, eventID: 'broken-name', eventName: 'UPSERT' as never },
    {
      ...records[0]!,
      eventID: 'broken-image',
      dynamodb: { ...records[0]!.dynamodb, NewImage: { pk: { Q: 'not an attribute type' } as never } },
    },
  ];
  const event = batch([records[0]!, records[1]!, ...broken, ...records.slice(2)]);

  expect(await handler(event)).toEqual({ batchItemFailures: [] });
  expect(published()).toEqual([`Link Created ${a.companyUserId}`, `Link Created ${b.companyUserId}`]);
  const skipped = logEntries().filter((e) => e.level === 'ERROR');
  expect(skipped.map((e) => [e.message, e.eventID])).toEqual([
    ['link stream record skipped: it cannot be read', 'broken-name'],
    ['link stream record skipped: it cannot be read', 'broken-image'],
  ]);
  expect(skipped[0]!.error).toEqual({ name: 'Error', message: 'Unknown stream event name UPSERT.' });
  expect(metricNames()).toEqual(['LinkStreamRecordsSkipped', 'LinkStreamRecordsSkipped']);
});

it("through Lambda's stream poller, a failing record is retried from its position until every event is out, in order", async () => {
  await newRecords();
  const invocations: Array<{ first: string; failures: unknown }> = [];
  const discarded: unknown[] = [];
  const poller = await startStreamPoller({
    dynamodb: dynamo,
    streams,
    tableName,
    mapping: {
      functionLogicalId: 'LinkEventsPublisher',
      source: { kind: 'dynamodb-stream', tableLogicalId: 'LinksTable' },
      batchSize: 100,
      reportBatchItemFailures: true,
      startingPosition: 'LATEST',
    },
    eventSourceArn: streamArn,
    region: REGION,
    target: {
      invoke: async (event) => {
        const result = await handler(event as DynamoDBStreamEvent);
        invocations.push({
          first: (event as DynamoDBStreamEvent).Records[0]!.eventID!,
          failures: result.batchItemFailures,
        });
        return { ok: true, result };
      },
    },
    maxRetries: 3,
    onDiscard: (discard) => discarded.push(discard),
    intervalMs: 20,
  });
  try {
    // EventBridge refuses b's link event twice, then takes it.
    let refusals = 2;
    answerFor = (entries) =>
      entries.some((e) => e.detail.companyUserId.startsWith('M-STREAM-poller-b-')) && refusals-- > 0
        ? 'refuse'
        : 'accept';
    const made = [await link('poller-a'), await link('poller-b'), await link('poller-c')];
    await links.deleteByLineUserId(made[1]!.lineUserId);
    await poller.drain(10_000);

    expect(published()).toEqual([
      `Link Created ${made[0]!.companyUserId}`,
      `Link Created ${made[1]!.companyUserId}`,
      `Link Created ${made[2]!.companyUserId}`,
      `Link Removed ${made[1]!.companyUserId}`,
    ]);
    expect(discarded).toEqual([]);
    // Two retries, each starting at b's record.
    expect(invocations.length).toBeGreaterThanOrEqual(3);
    const retried = invocations.filter((i) => (i.failures as unknown[]).length > 0);
    expect(retried).toHaveLength(2);
    expect(logEntries().filter((e) => e.level === 'ERROR')).toHaveLength(2);
  } finally {
    await poller.close();
  }
});
