import middy from '@middy/core';
import { validateSignature, type webhook } from '@line/bot-sdk';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { InvalidRequestError } from '../core/errors.js';
import type { WebhookEvent } from '../core/webhook-events.js';
import { handleLineWebhook, type LineWebhookPorts } from '../core/use-cases/handle-line-webhook.js';
import { MalformedJsonError, PayloadTooLargeError, WebhookSignatureError } from './http/http-errors.js';
import { logger } from '../observability/logger.js';
import { countMetric } from '../observability/metrics.js';
import { httpEdge } from './http/middlewares.js';
import { json } from './http/responses.js';

/** What `POST /webhook/line` needs. */
export interface WebhookLinePostDeps {
  ports: LineWebhookPorts;
  /** The Messaging API channel secret, the key of the signatures (read once, retried on failure). */
  channelSecret: () => Promise<string>;
  /**
   * The bot's user ID, the deliveries' expected `destination`: LINE_BOT_USER_ID, or learned in
   * the background from the first delivery on (never awaited by one); undefined while unknown.
   */
  bot: { current(): string | undefined };
}

/** LINE's webhook bodies are small; anything much larger is not LINE's. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/**
 * `POST /webhook/line` — the Messaging API webhook of the LINE Official Account.
 *
 * The signature comes first: `x-line-signature` must be the base64 HMAC-SHA256 of the exact raw
 * body (decoded from base64 when API Gateway marked it so) with the Messaging API channel
 * secret, compared in constant time by `@line/bot-sdk`'s `validateSignature`
 * (https://developers.line.biz/en/reference/messaging-api/#signature-validation). Until it
 * matches nothing is parsed, stored or called: a missing or wrong one is a 401 problem and counts
 * as `WebhookSignatureRejected`. This route therefore has no JSON body parser.
 *
 * Then: malformed JSON → 400; LINE's URL verification (no events) → 200; a delivery whose
 * `destination` is not our bot's user ID is ignored (200, logged: LINE sends each bot's events
 * to its own webhook URL, so it is not ours to apply). Events are applied exactly once each, in
 * event-time order, with DynamoDB only: replies and link tokens are queued and done after the
 * answer (handleLineWebhook), so LINE's 2 s deadline never waits on LINE's own APIs. An error
 * while applying answers 5xx so LINE redelivers; events applied before it are skipped then.
 */
export function createWebhookLinePostHandler({ ports, channelSecret, bot }: WebhookLinePostDeps) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async (event) => {
      const raw = rawBody(event);
      const signature = event.headers?.['x-line-signature'];
      if (!signature || !validateSignature(raw, await channelSecret(), signature)) {
        throw new WebhookSignatureError();
      }
      const receivedAt = new Date();
      const { destination, events, redelivered } = parseBody(raw);
      if (events.length === 0) return json(200, {});
      const expected = bot.current();
      if (expected !== undefined && destination !== expected) {
        logger.warn('webhook ignored: destination is not this bot', { events: events.length });
        countMetric('WebhookForeignDestination');
        return json(200, {});
      }
      const outcomes = await handleLineWebhook({ events, receivedAt }, ports);
      for (const outcome of outcomes) {
        if (outcome.outcome === 'linked') countMetric('LinksCreated');
        if (outcome.outcome === 'conflict') countMetric('LinkConflicts');
        if (outcome.outcome === 'friend-updated' || outcome.outcome === 'unlinked')
          countMetric('FriendshipUpdates');
        if (outcome.outcome === 'event-ignored') countMetric('WebhookEventsIgnored');
      }
      logger.info('webhook applied', {
        ...(redelivered ? { redelivered: true } : {}),
        events: outcomes.map((o) => ({
          id: o.webhookEventId,
          type: o.type,
          outcome: o.outcome,
          ...(o.code ? { code: o.code } : {}),
          ...(o.queued ? { queued: true } : {}),
        })),
      });
      return json(200, {});
    });
}

/** The body's exact bytes, as LINE signed them. */
function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  const body = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > MAX_WEBHOOK_BODY_BYTES) throw new PayloadTooLargeError(MAX_WEBHOOK_BODY_BYTES);
  return bytes;
}

/**
 * The signed body: its `destination` (the bot user ID the events are for), its events in the
 * shape the use case takes (`@line/bot-sdk`'s webhook types), and whether LINE marked any of them
 * as a redelivery (`deliveryContext.isRedelivery`, for logs: a redelivery is applied like any).
 */
function parseBody(raw: Buffer): { destination?: string; events: WebhookEvent[]; redelivered: boolean } {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new MalformedJsonError();
  }
  const request = body as Partial<webhook.CallbackRequest> | null;
  if (!request || typeof request !== 'object' || !Array.isArray(request.events)) {
    throw new InvalidRequestError('The webhook body has no events array.', [
      { path: 'events', message: 'Expected an array.' },
    ]);
  }
  const destination = typeof request.destination === 'string' ? request.destination : undefined;
  const redelivered = request.events.some(
    (e) => !!e && typeof e === 'object' && (e as webhook.Event).deliveryContext?.isRedelivery === true,
  );
  return {
    ...(destination ? { destination } : {}),
    events: request.events.map((e, i) => toEvent(e, i)),
    redelivered,
  };
}

function toEvent(event: webhook.Event, index: number): WebhookEvent {
  const bad = (path: string) =>
    new InvalidRequestError('A webhook event does not have the expected shape.', [
      { path: `events.${index}.${path}`, message: 'Missing or invalid.' },
    ]);
  if (!event || typeof event !== 'object') throw bad('(event)');
  if (typeof event.type !== 'string') throw bad('type');
  // A number that is not a real time is the use case's to ignore and audit, not a 400.
  if (typeof event.timestamp !== 'number') throw bad('timestamp');
  if (typeof event.webhookEventId !== 'string' || !event.webhookEventId) throw bad('webhookEventId');
  const source = event.source;
  const userId =
    source && source.type === 'user' && typeof source.userId === 'string' ? source.userId : undefined;
  const common = {
    webhookEventId: event.webhookEventId,
    timestamp: event.timestamp,
    ...(userId ? { userId } : {}),
  };
  const replyToken =
    'replyToken' in event && typeof event.replyToken === 'string' ? { replyToken: event.replyToken } : {};
  switch (event.type) {
    case 'follow':
      return { type: 'follow', common, ...replyToken };
    case 'unfollow':
      return { type: 'unfollow', common };
    case 'message': {
      const message = (event as webhook.MessageEvent).message;
      const text =
        message && message.type === 'text' ? (message as webhook.TextMessageContent).text : undefined;
      return { type: 'message', common, ...replyToken, ...(typeof text === 'string' ? { text } : {}) };
    }
    case 'postback': {
      const data = (event as webhook.PostbackEvent).postback?.data;
      if (typeof data !== 'string') throw bad('postback.data');
      return { type: 'postback', common, ...replyToken, data };
    }
    case 'accountLink': {
      const link = (event as webhook.AccountLinkEvent).link;
      if (!link || typeof link.result !== 'string' || typeof link.nonce !== 'string') throw bad('link');
      return { type: 'accountLink', common, ...replyToken, result: link.result, nonce: link.nonce };
    }
    default:
      return { type: 'other', common };
  }
}
