import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import { backoffMs, retryAfterMs } from './line-backoff.js';
import { withTimeout } from './line-sdk-call.js';
import { UpstreamError } from '../../core/errors.js';
import type { LineMessage } from '../../core/member-messages.js';
import type { MulticastSender } from '../../core/ports/index.js';
import type { LineChannelTokenClient } from './line-channel-token-client.js';

/** Options of {@link LineMulticastClient}. */
export interface LineMulticastClientOptions {
  /** Channel access tokens of the Messaging API channel. */
  tokens: LineChannelTokenClient;
  /** A request not answered within this is abandoned and sent again with the same retry key. */
  timeoutMs?: number;
  /** Tries per request in all (default 6). */
  maxAttempts?: number;
  /** First back-off (doubles each retry, full jitter), default 500 ms; a 429's Retry-After wins. */
  baseBackoffMs?: number;
  /** Longest single wait, default 30 s. */
  maxBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * `POST /v2/bot/message/multicast` through `@line/bot-sdk`'s MessagingApiClient
 * (https://developers.line.biz/en/reference/messaging-api/#send-multicast-message), with what the
 * API's rules ask of a sender:
 *
 * - every attempt of one request carries the same `X-Line-Retry-Key`, so a request retried after
 *   a timeout or a 5xx is accepted once; LINE's 409 for an already-accepted key means it was sent
 *   (https://developers.line.biz/en/docs/messaging-api/retrying-api-request/);
 * - 429 (rate limit) waits `Retry-After` when LINE sends it, else exponential back-off with full
 *   jitter, a bounded number of times;
 * - 401 gets a fresh channel access token once; other 4xx are final (the request itself is wrong).
 */
export class LineMulticastClient implements MulticastSender {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: LineMulticastClientOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async multicast(to: readonly string[], messages: readonly LineMessage[], retryKey: string): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 6;
    let refreshedToken = false;
    for (let attempt = 1; ; attempt++) {
      let wait: number | undefined;
      try {
        const api = await this.options.tokens.messagingApi();
        await withTimeout(
          api.multicast({ to: [...to], messages: messages as unknown as messagingApi.Message[] }, retryKey),
          this.options.timeoutMs ?? 10_000,
          () => new Error(`No answer within ${this.options.timeoutMs ?? 10_000} ms`),
        );
        return;
      } catch (error) {
        const status = error instanceof HTTPFetchError ? error.status : undefined;
        if (status === 409) return; // this retry key was already accepted: the messages went out
        if (status === 401 && !refreshedToken) {
          refreshedToken = true;
          this.options.tokens.invalidate();
          wait = 0;
        } else if (status !== undefined && status !== 429 && status < 500) {
          throw new UpstreamError('line', 'bad-response', { cause: error });
        } else if (status === 429) {
          wait = retryAfterMs(error as HTTPFetchError);
        }
        if (attempt >= maxAttempts) throw new UpstreamError('line', 'unavailable', { cause: error });
      }
      await this.sleep(wait ?? this.backoff(attempt));
    }
  }

  private backoff(attempt: number): number {
    return backoffMs(attempt, this.options);
  }
}
