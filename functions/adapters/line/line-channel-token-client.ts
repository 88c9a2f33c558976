import { channelAccessToken, messagingApi } from '@line/bot-sdk';
import { UpstreamError } from '../../core/errors.js';
import { systemClock, type Clock } from '../../core/ports/index.js';
import { callLineSdk } from './line-sdk-call.js';

/** Options of {@link LineChannelTokenClient}. */
export interface LineChannelTokenClientOptions {
  /** LINE API origin (`https://api.line.me`). */
  apiBase: string;
  channelId: string;
  /** The channel secret, read lazily (Secrets Manager in Lambda). */
  channelSecret: () => Promise<string>;
  timeoutMs?: number;
  clock?: Clock;
  /** A token is replaced this long before LINE says it expires. */
  refreshMarginMs?: number;
}

/**
 * Stateless channel access tokens (`POST /oauth2/v3/token`, client credentials; valid 15
 * minutes; https://developers.line.biz/en/reference/messaging-api/#issue-stateless-channel-access-token),
 * issued with `@line/bot-sdk`'s ChannelAccessTokenClient and cached per execution environment
 * until shortly before they expire. Works for a Messaging API channel (replies, link tokens,
 * multicast) and a LINE Login channel (deauthorize) alike. Concurrent callers share one request;
 * the token is never logged or put into an error.
 */
export class LineChannelTokenClient {
  private cached: { token: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;
  private readonly sdk: channelAccessToken.ChannelAccessTokenClient;
  private client: { token: string; api: messagingApi.MessagingApiClient } | undefined;
  private readonly clock: Clock;

  constructor(private readonly options: LineChannelTokenClientOptions) {
    this.sdk = new channelAccessToken.ChannelAccessTokenClient({
      baseURL: options.apiBase.replace(/\/+$/, ''),
    });
    this.clock = options.clock ?? systemClock;
  }

  /** A valid channel access token, from the cache when it has one. */
  async token(): Promise<string> {
    const now = this.clock.now().getTime();
    if (this.cached && now < this.cached.expiresAt) return this.cached.token;
    this.pending ??= this.issue().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /**
   * `@line/bot-sdk`'s MessagingApiClient holding a valid token: the same client while the token
   * lasts, a new one once it was replaced.
   */
  async messagingApi(): Promise<messagingApi.MessagingApiClient> {
    const token = await this.token();
    if (this.client?.token !== token) {
      this.client = {
        token,
        api: new messagingApi.MessagingApiClient({
          baseURL: this.options.apiBase.replace(/\/+$/, ''),
          channelAccessToken: token,
        }),
      };
    }
    return this.client.api;
  }

  /** Forgets the cached token (LINE refused it: revoked or the secret changed). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async issue(): Promise<string> {
    const secret = await this.options.channelSecret();
    const issued = await callLineSdk(
      () => this.sdk.issueStatelessChannelTokenByClientSecret(this.options.channelId, secret),
      this.options.timeoutMs ?? 3000,
    );
    const token = issued?.access_token;
    if (typeof token !== 'string' || !token) throw new UpstreamError('line', 'bad-response');
    const expiresInMs =
      (typeof issued.expires_in === 'number' && issued.expires_in > 0 ? issued.expires_in : 900) * 1000;
    const margin = Math.min(this.options.refreshMarginMs ?? 60_000, expiresInMs / 2);
    this.cached = { token, expiresAt: this.clock.now().getTime() + expiresInMs - margin };
    return token;
  }
}
