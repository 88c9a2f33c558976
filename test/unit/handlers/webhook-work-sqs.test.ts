import { jest } from '@jest/globals';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { webhookWorkSqs } from '../../../functions/composition/handlers/webhook-work-sqs.js';
import { DEFAULT_BOT_TEXTS } from '../../../functions/core/bot-texts.js';
import { linkMessage } from '../../../functions/core/use-cases/handle-line-webhook.js';
import { webhookWorkOf } from '../../../functions/handlers/webhook-work-sqs.js';
import { lambdaContext } from '../../../functions/local/api-gateway-adapter.js';
import { configureLogger } from '../../../functions/observability/logger.js';
import { offlineWiring, watchOutboundCalls } from '../../support/offline-handlers.js';

/**
 * The webhook worker invoked with SQS events, offline (no database, no LINE): what it does with a
 * message that is not webhook work, and with work whose run throws. Its runs against DynamoDB
 * Local, the LINE emulator and the queue are in test/integration/webhook/webhook-work.test.ts.
 */

// Its logs are what these tests read.
configureLogger({ serviceName: 'line-id-link', logLevel: 'INFO' });
const wiring = offlineWiring();
const worker = webhookWorkSqs(wiring);
const handler = (event: SQSEvent) => worker(event, lambdaContext('webhook-work-sqs', 'unit-test'));
const outbound = watchOutboundCalls(wiring);

const logged: string[] = [];
beforeEach(() => {
  outbound.reset();
  logged.length = 0;
  const capture = (chunk: unknown) => {
    logged.push(String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
});
afterEach(() => jest.restoreAllMocks());

const entries = () =>
  logged
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

let sequence = 0;
function record(body: string): SQSRecord {
  sequence += 1;
  return {
    messageId: `message-${sequence}`,
    receiptHandle: `receipt-${sequence}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1764547200000',
      SenderId: 'AROAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1764547200000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:webhook-work',
    awsRegion: 'ap-northeast-1',
  };
}
const eventOf = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

const REPLY_TOKEN = 'b60d1a1e2c9e4f4fa0f1c3a5d7e9f0aa';
const EVENT_ID = '01JEXAMPLEWEBHOOKEVENTID0001';
const USER = 'U0123456789abcdef0123456789abcdef';
const reply = {
  kind: 'reply',
  webhookEventId: EVENT_ID,
  replyToken: REPLY_TOKEN,
  messages: [{ type: 'text', text: 'Hi' }],
};

const MALFORMED: Array<[string, string]> = [
  ['not JSON', '{"kind":'],
  ['JSON null', 'null'],
  ['an array', JSON.stringify([reply])],
  ['an unknown kind', JSON.stringify({ ...reply, kind: 'push' })],
  ['no webhookEventId', JSON.stringify({ ...reply, webhookEventId: undefined })],
  ['an empty reply token', JSON.stringify({ ...reply, replyToken: '' })],
  [
    'an offer without its LINE user',
    JSON.stringify({ kind: 'offer-link', webhookEventId: EVENT_ID, replyToken: REPLY_TOKEN }),
  ],
  ['a reply without messages', JSON.stringify({ ...reply, messages: [] })],
  [
    'a reply with six messages',
    JSON.stringify({ ...reply, messages: Array(6).fill({ type: 'text', text: 'x' }) }),
  ],
  ['a reply with a message of no known type', JSON.stringify({ ...reply, messages: [{ type: 'sticker' }] })],
  [
    'a template without actions',
    JSON.stringify({
      ...reply,
      messages: [{ type: 'template', altText: 'x', template: { type: 'buttons', text: 'x', actions: [] } }],
    }),
  ],
];

describe('a message that is not webhook work', () => {
  it.each(MALFORMED)(
    '%s: reported failed (for the dead-letter queue), logged, nothing called',
    async (_, body) => {
      const bad = record(body);
      const answer = await handler(eventOf(bad));
      expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
      outbound.expectUntouched();
      const [entry] = entries().filter((e) => e.level === 'ERROR');
      expect(entry).toMatchObject({
        message: expect.stringContaining('dead-letter queue'),
        messageId: bad.messageId,
        receiveCount: 1,
        bodyLength: body.length,
      });
      // The body itself (a reply token, a LINE user) is never logged.
      expect(logged.join('')).not.toContain(REPLY_TOKEN);
    },
  );

  it('fails only the malformed messages of a batch; the others are run', async () => {
    const bad = record('not json');
    const good = record(JSON.stringify(reply));
    const answer = await handler(eventOf(bad, good));
    // The good one was run: offline, its claim cannot be read, so it is reported failed too,
    // with the error (the queue delivers it again).
    expect(answer.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([bad.messageId, good.messageId]);
    expect(outbound.dynamo.calls().length).toBeGreaterThan(0);
  });
});

describe('work whose run throws', () => {
  it('is reported failed with the error logged by its event and kind, never its tokens', async () => {
    const offer = record(
      JSON.stringify({
        kind: 'offer-link',
        webhookEventId: EVENT_ID,
        lineUserId: USER,
        replyToken: REPLY_TOKEN,
      }),
    );
    const answer = await handler(eventOf(offer));
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: offer.messageId }] });
    const [entry] = entries().filter((e) => e.level === 'ERROR');
    expect(entry).toMatchObject({
      message: expect.stringContaining('delivers it again'),
      messageId: offer.messageId,
      webhookEventId: EVENT_ID,
      kind: 'offer-link',
      error: expect.objectContaining({ name: expect.any(String), message: expect.any(String) }),
    });
    expect(logged.join('')).not.toContain(REPLY_TOKEN);
    expect(logged.join('')).not.toContain(USER);
  });
});

describe('webhookWorkOf', () => {
  it('reads back the work the webhook queues: a linking offer, a text reply, the linking URL template', () => {
    const offer = { kind: 'offer-link', webhookEventId: EVENT_ID, lineUserId: USER, replyToken: REPLY_TOKEN };
    expect(webhookWorkOf(JSON.stringify(offer))).toEqual(offer);
    expect(webhookWorkOf(JSON.stringify(reply))).toEqual(reply);
    const template = {
      ...reply,
      messages: [
        linkMessage('https://api.example.com/account-link/start?linkToken=abc', DEFAULT_BOT_TEXTS.en),
      ],
    };
    expect(webhookWorkOf(JSON.stringify(template))).toEqual(template);
  });

  it('keeps only the fields of the work', () => {
    expect(webhookWorkOf(JSON.stringify({ ...reply, extra: 'x' }))).toEqual(reply);
  });
});
