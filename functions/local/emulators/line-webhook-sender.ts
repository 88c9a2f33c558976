/**
 * Sends webhook events from the emulated LINE Platform to the service, the way LINE does
 * (https://developers.line.biz/en/reference/messaging-api/#webhooks): one POST per delivery with
 * `{"destination": <bot user ID>, "events": [...]}`, `Content-Type: application/json; charset=utf-8`
 * and `x-line-signature` = base64(HMAC-SHA256(channel secret, the exact body bytes))
 * (https://developers.line.biz/en/reference/messaging-api/#signature-validation).
 *
 * Every delivery is recorded (status or network error) so tests and the chat page can show it, and
 * a failed delivery can be redelivered with the same `webhookEventId`s and
 * `deliveryContext.isRedelivery: true`
 * (https://developers.line.biz/en/docs/messaging-api/receiving-messages/#webhook-redelivery).
 */
import { createHmac } from 'node:crypto';
import { ulid, type LineMessagingStore } from './line-messaging-store.js';

/** A webhook event as LINE sends it (the common fields plus the type's own). */
export interface WebhookEvent {
  type: string;
  mode: 'active' | 'standby';
  timestamp: number;
  source: { type: 'user'; userId: string };
  webhookEventId: string;
  deliveryContext: { isRedelivery: boolean };
  replyToken?: string;
  [field: string]: unknown;
}

/** One POST to the webhook URL. */
export interface WebhookDelivery {
  /** Sequence number, for redelivery. */
  id: number;
  url: string | undefined;
  /** The exact body sent (what the signature covers). */
  body: string;
  signature: string;
  events: WebhookEvent[];
  /** Epoch ms. */
  at: number;
  /** HTTP status of the service's answer; undefined when there was none. */
  status?: number;
  /** Why there was no answer (no webhook URL, connection refused, timeout). */
  error?: string;
  /** True when this delivery was a redelivery of an earlier failed one. */
  redelivery: boolean;
}

/** What the service has to answer within: LINE times out slow webhooks. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** base64(HMAC-SHA256(secret, body)): LINE's `x-line-signature`. */
export function lineSignature(channelSecret: string, body: string): string {
  return createHmac('sha256', channelSecret).update(body, 'utf8').digest('base64');
}

export class LineWebhookSender {
  readonly deliveries: WebhookDelivery[] = [];

  constructor(private readonly store: LineMessagingStore) {}

  /** A new event of `type` from `userId`, with a fresh ID and the store's time. */
  event(type: string, userId: string, fields: Record<string, unknown> = {}): WebhookEvent {
    const timestamp = this.store.now();
    return {
      type,
      mode: 'active',
      timestamp,
      source: { type: 'user', userId },
      webhookEventId: ulid(timestamp),
      deliveryContext: { isRedelivery: false },
      ...fields,
    };
  }

  /** Signs and POSTs `events` to the webhook URL; resolves when the service answered (or failed). */
  async send(events: WebhookEvent[], redelivery = false): Promise<WebhookDelivery> {
    const { channel } = this.store;
    const body = JSON.stringify({ destination: channel.botUserId, events });
    const delivery: WebhookDelivery = {
      id: this.deliveries.length + 1,
      url: this.store.webhookUrl,
      body,
      signature: lineSignature(channel.channelSecret, body),
      events,
      at: this.store.now(),
      redelivery,
    };
    this.deliveries.push(delivery);
    if (!delivery.url) {
      delivery.error = 'No webhook URL is set.';
      return delivery;
    }
    try {
      const res = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'x-line-signature': delivery.signature,
          'user-agent': 'LineBotWebhook/2.0',
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      delivery.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (error) {
      delivery.error = error instanceof Error ? error.message : String(error);
    }
    return delivery;
  }

  /** LINE's URL verification: a signed body with no events. */
  verify(): Promise<WebhookDelivery> {
    return this.send([]);
  }

  /**
   * Sends the events of delivery `id` again, unchanged but for `isRedelivery: true`. Like LINE,
   * only a delivery the service did not answer with 2xx is redelivered.
   */
  async redeliver(id: number): Promise<WebhookDelivery | 'unknown' | 'succeeded'> {
    const original = this.deliveries.find((d) => d.id === id);
    if (!original) return 'unknown';
    if (original.status !== undefined && original.status >= 200 && original.status < 300) return 'succeeded';
    return this.send(
      original.events.map((e) => ({ ...e, deliveryContext: { isRedelivery: true } })),
      true,
    );
  }
}

/** True when the service accepted the delivery (any 2xx). */
export function delivered(delivery: WebhookDelivery): boolean {
  return delivery.status !== undefined && delivery.status >= 200 && delivery.status < 300;
}
