import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { BotMessage, WebhookReplyWork } from '../core/webhook-events.js';
import { runWebhookWork, type WebhookWorkPorts } from '../core/use-cases/run-webhook-work.js';
import { errorFields } from '../observability/error-fields.js';
import { invocationLogging, logger } from '../observability/logger.js';
import { countMetric } from '../observability/metrics.js';
import { runSqsMessages, type SqsMessageIds } from './sqs/sqs-messages.js';

/**
 * The webhook worker (SQS → Lambda, ReportBatchItemFailures): each message is the LINE work of
 * one applied webhook event (a reply, or a link token and the reply with the linking URL), queued
 * by `POST /webhook/line` after it committed the event, and done here once
 * ({@link runWebhookWork}; the event's claim records when it is done).
 *
 * - done, or done before (a redelivered message), or too late (the claim expired): deleted;
 * - refused by LINE for good (an expired or used reply token, a user LINE will not link): counted
 *   as `WebhookWorkRefused` and deleted; trying again cannot help;
 * - thrown (LINE unavailable or timing out, DynamoDB failing): logged and reported failed by its
 *   message ID, so the queue delivers it again after the visibility timeout; after the queue's
 *   maxReceiveCount it goes to the dead-letter queue (lib/constructs/webhook-work.ts);
 * - a body that is not webhook work can never succeed: logged and reported failed too, so
 *   maxReceiveCount moves it to the dead-letter queue, where an operator can read it.
 *
 * Logs name the event (`webhookEventId`), the kind of work and the outcome, never the reply
 * token, the link token or the LINE user.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export function createWebhookWorkSqsHandler(ports: WebhookWorkPorts) {
  const about = (work: WebhookReplyWork, ids: SqsMessageIds) => ({
    ...ids,
    webhookEventId: work.webhookEventId,
    kind: work.kind,
  });
  return middy<SQSEvent, SQSBatchResponse>()
    .use(invocationLogging())
    .handler((event) =>
      runSqsMessages(event, {
        parse: webhookWorkOf,
        unreadable: (ids, bodyLength) =>
          logger.error('webhook work unreadable: not webhook work; the dead-letter queue takes it', {
            ...ids,
            bodyLength,
          }),
        run: async (work, ids) => {
          const outcome = await runWebhookWork(work, ports);
          if (outcome === 'refused') countMetric('WebhookWorkRefused');
          logger.info('webhook work done', { ...about(work, ids), outcome });
        },
        failed: (work, ids, error) =>
          logger.error('webhook work failed: the queue delivers it again', {
            ...about(work, ids),
            error: errorFields(error),
          }),
      }),
    );
}

/**
 * The webhook work a message carries (`WebhookReplyWork` as JSON), or undefined when the body is
 * not one: every field the worker uses is checked, so a malformed message fails here, not in a
 * call to LINE.
 */
export function webhookWorkOf(body: string): WebhookReplyWork | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !filled(value.webhookEventId) || !filled(value.replyToken)) return undefined;
  const { webhookEventId, replyToken } = value;
  if (value.kind === 'offer-link') {
    return filled(value.lineUserId)
      ? { kind: 'offer-link', webhookEventId, lineUserId: value.lineUserId, replyToken }
      : undefined;
  }
  if (value.kind === 'reply') {
    const messages = value.messages;
    // LINE takes 1 to 5 messages per reply (https://developers.line.biz/en/reference/messaging-api/#send-reply-message).
    if (!Array.isArray(messages) || messages.length < 1 || messages.length > 5) return undefined;
    if (!messages.every(isBotMessage)) return undefined;
    return { kind: 'reply', webhookEventId, replyToken, messages };
  }
  return undefined;
}

function isBotMessage(message: unknown): message is BotMessage {
  if (!isRecord(message)) return false;
  if (message.type === 'text') return filled(message.text);
  if (message.type !== 'template' || !filled(message.altText) || !isRecord(message.template)) return false;
  const { template } = message;
  return (
    template.type === 'buttons' &&
    filled(template.text) &&
    Array.isArray(template.actions) &&
    template.actions.length > 0 &&
    template.actions.every(
      (action: unknown) =>
        isRecord(action) && action.type === 'uri' && filled(action.label) && filled(action.uri),
    )
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const filled = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
