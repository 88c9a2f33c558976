import { messagingApi } from '@line/bot-sdk';
import { UpstreamError } from '../../core/errors.js';
import type { BotMessage } from '../../core/webhook-events.js';
import type { MessagingApi } from '../../core/ports/index.js';
import { isObject } from '../http/fetch-with-timeout.js';
import type { LineChannelTokenClient } from './line-channel-token-client.js';
import { callWithChannelToken } from './line-sdk-call.js';

/** Options of {@link LineMessagingClient}. */
export interface LineMessagingClientOptions {
  /** Channel access tokens of the Messaging API channel (shared with the multicast sender). */
  tokens: LineChannelTokenClient;
  /** Timeout of every call to LINE, milliseconds. */
  timeoutMs: number;
}

/**
 * The bot's calls of the Messaging API through `@line/bot-sdk`'s MessagingApiClient (`baseURL` =
 * LINE_API_BASE): link tokens for pattern 4 and replies. The channel access token comes from
 * {@link LineChannelTokenClient}; a 401 (revoked token) gets one retry with a fresh token.
 * Failures of LINE become {@link UpstreamError} (`line-unavailable` / `line-bad-response`).
 */
export class LineMessagingClient implements MessagingApi {
  constructor(private readonly options: LineMessagingClientOptions) {}

  async issueLinkToken(lineUserId: string): Promise<string> {
    const response = await this.call((api) => api.issueLinkToken(lineUserId));
    if (!isObject(response) || typeof response.linkToken !== 'string' || !response.linkToken)
      throw new UpstreamError('line', 'bad-response');
    return response.linkToken;
  }

  async reply(replyToken: string, messages: BotMessage[]): Promise<void> {
    await this.call((api) => api.replyMessage({ replyToken, messages: messages as messagingApi.Message[] }));
  }

  async botUserId(): Promise<string> {
    const info = await this.call((api) => api.getBotInfo());
    if (!isObject(info) || typeof info.userId !== 'string' || !info.userId)
      throw new UpstreamError('line', 'bad-response');
    return info.userId;
  }

  /** One call with the current channel access token ({@link callWithChannelToken}). */
  private call<T>(request: (api: messagingApi.MessagingApiClient) => Promise<T>): Promise<T> {
    return callWithChannelToken(this.options.tokens, this.options.timeoutMs, request);
  }
}
