import middy from '@middy/core';
import { validateSignature, type webhook } from '@line/bot-sdk';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { InvalidRequestError } from '../core/errors.js';
import { WebhookSignatureError } from './http/http-errors.js';
import type { WebhookEvent } from '../core/messaging.js';
import { handleLineWebhook } from '../core/use-cases/handle-line-webhook.js';
import { MalformedJsonError, PayloadTooLargeError } from './http/http-errors.js';
import { logger } from '../observability/logger.js';
import { countMetric } from '../observability/metrics.js';
import { httpEdge } from './http/middlewares.js';
import { json } from './http/responses.js';
import { lineWebhookPorts, messagingChannelSecret, messagingConfig } from './wiring.js';

messagingConfig();
const ports = lineWebhookPorts();

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
 * Then: malformed JSON → 400; LINE's URL verification (no events) → 200; events are applied
 * once each, in event-time order (see handleLineWebhook). LINE expects a quick 200; an error
 * while applying answers 500 so LINE redelivers (already applied events are skipped then).
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(httpEdge())
  .handler(async (event) => {
    const raw = rawBody(event);
    const signature = event.headers?.['x-line-signature'];
    if (!signature || !validateSignature(raw, await messagingChannelSecret(), signature)) {
      throw new WebhookSignatureError();
    }
    const events = parseEvents(raw);
    if (events.length === 0) return json(200, {});
    const outcomes = await handleLineWebhook(events, ports);
    for (const outcome of outcomes) {
      if (outcome.outcome === 'linked') countMetric('LinksCreated');
      if (outcome.outcome === 'conflict') countMetric('LinkConflicts');
      if (outcome.outcome === 'friend-updated' || outcome.outcome === 'unlinked')
        countMetric('FriendshipUpdates');
    }
    logger.info('webhook applied', {
      events: outcomes.map((o) => ({
        id: o.webhookEventId,
        type: o.type,
        outcome: o.outcome,
        ...(o.code ? { code: o.code } : {}),
        ...(o.replyFailed ? { replyFailed: true } : {}),
      })),
    });
    return json(200, {});
  });

/** The body's exact bytes, as LINE signed them. */
function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  const body = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > MAX_WEBHOOK_BODY_BYTES) throw new PayloadTooLargeError(MAX_WEBHOOK_BODY_BYTES);
  return bytes;
}

/** The signed body's events, in the shape the use case takes (`@line/bot-sdk`'s webhook types). */
function parseEvents(raw: Buffer): WebhookEvent[] {
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
  return request.events.map((e, i) => toEvent(e, i));
}

function toEvent(event: webhook.Event, index: number): WebhookEvent {
  const bad = (path: string) =>
    new InvalidRequestError('A webhook event does not have the expected shape.', [
      { path: `events.${index}.${path}`, message: 'Missing or invalid.' },
    ]);
  if (!event || typeof event !== 'object') throw bad('(event)');
  if (typeof event.type !== 'string') throw bad('type');
  if (typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp)) throw bad('timestamp');
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
