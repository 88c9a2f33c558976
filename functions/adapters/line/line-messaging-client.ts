import { HTTPFetchError, channelAccessToken, messagingApi } from '@line/bot-sdk';
import { UpstreamError } from '../../core/errors.js';
import type { BotMessage } from '../../core/messaging.js';
import type { MessagingApi } from '../../core/ports/index.js';
import { fetchJson, isObject, type FetchLike } from '../http/fetch-with-timeout.js';

/** Options of {@link LineMessagingClient}. */
export interface LineMessagingClientOptions {
  /** LINE_API_BASE (https://api.line.me, or the emulator). */
  apiBase: string;
  /** LINE_MESSAGING_CHANNEL_ID. */
  channelId: string;
  /** LINE_MESSAGING_CHANNEL_SECRET, read lazily (Secrets Manager in Lambda). */
  channelSecret: () => Promise<string>;
  /** Timeout of every call to LINE, milliseconds. */
  timeoutMs: number;
  /** Time source for the token cache; tests freeze it. */
  now?: () => number;
}

/** A token is renewed this long before LINE says it expires. */
const TOKEN_MARGIN_MS = 60_000;

/**
 * The Messaging API through `@line/bot-sdk`'s clients (`ChannelAccessTokenClient`,
 * `MessagingApiClient`, both with `baseURL` = LINE_API_BASE).
 *
 * The channel access token is a stateless one (`POST /oauth2/v3/token` with the channel ID and
 * secret; https://developers.line.biz/en/reference/messaging-api/#issue-stateless-channel-access-token),
 * issued on first use and cached until a minute before it expires; concurrent callers share
 * one issuance. It is never logged and never leaves this object. Failures of LINE become
 * {@link UpstreamError} (`line-unavailable` / `line-bad-response`).
 */
export class LineMessagingClient implements MessagingApi {
  private readonly tokens: channelAccessToken.ChannelAccessTokenClient;
  private token: Promise<{ client: messagingApi.MessagingApiClient; expiresAtMs: number }> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: LineMessagingClientOptions) {
    this.tokens = new channelAccessToken.ChannelAccessTokenClient({ baseURL: options.apiBase });
    this.now = options.now ?? Date.now;
  }

  async issueLinkToken(lineUserId: string): Promise<string> {
    const client = await this.client();
    const response = await this.call(() => client.issueLinkToken(lineUserId));
    if (!isObject(response) || typeof response.linkToken !== 'string' || !response.linkToken)
      throw new UpstreamError('line', 'bad-response');
    return response.linkToken;
  }

  async reply(replyToken: string, messages: BotMessage[]): Promise<void> {
    const client = await this.client();
    await this.call(() => client.replyMessage({ replyToken, messages: messages as messagingApi.Message[] }));
  }

  /** A Messaging API client holding a valid channel access token. */
  private async client(): Promise<messagingApi.MessagingApiClient> {
    const cached = this.token;
    if (cached) {
      const current = await cached.catch(() => undefined);
      if (current && current.expiresAtMs - TOKEN_MARGIN_MS > this.now()) return current.client;
      if (this.token === cached) this.token = undefined;
    }
    this.token ??= this.issue().catch((error: unknown) => {
      this.token = undefined;
      throw error;
    });
    return (await this.token).client;
  }

  private async issue(): Promise<{ client: messagingApi.MessagingApiClient; expiresAtMs: number }> {
    const secret = await this.options.channelSecret();
    const issued = await this.call(() =>
      this.tokens.issueStatelessChannelTokenByClientSecret(this.options.channelId, secret),
    );
    const accessToken = issued?.access_token;
    const expiresIn = issued?.expires_in;
    if (typeof accessToken !== 'string' || !accessToken || typeof expiresIn !== 'number' || expiresIn <= 0)
      throw new UpstreamError('line', 'bad-response');
    return {
      client: new messagingApi.MessagingApiClient({
        baseURL: this.options.apiBase,
        channelAccessToken: accessToken,
      }),
      expiresAtMs: this.now() + expiresIn * 1000,
    };
  }

  /**
   * One SDK call under the timeout. The SDK's fetch cannot be aborted from here, so a call that
   * times out is abandoned (its answer ignored) and reported as unavailable.
   */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UpstreamError('line', 'unavailable')), this.options.timeoutMs);
    });
    try {
      return await Promise.race([request(), timeout]);
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      if (error instanceof HTTPFetchError) {
        // The SDK's error carries LINE's response body; only the status is kept (no token in it).
        throw new UpstreamError(
          'line',
          error.status >= 500 || error.status === 429 ? 'unavailable' : 'bad-response',
          { cause: new Error(`LINE answered ${error.status}`) },
        );
      }
      throw new UpstreamError('line', 'unavailable', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * `GET /friendship/v1/status` with a user's LINE Login access token: whether that user has the
 * LINE Official Account linked to the login channel as a friend
 * (https://developers.line.biz/en/reference/line-login/#get-friendship-status).
 * @throws UpstreamError
 */
export async function fetchFriendshipStatus(
  options: { apiBase: string; timeoutMs: number; fetch?: FetchLike },
  userAccessToken: string,
): Promise<boolean> {
  const { status, body } = await fetchJson(
    options.fetch ?? fetch,
    `${options.apiBase}/friendship/v1/status`,
    { headers: { authorization: `Bearer ${userAccessToken}` } },
    { upstream: 'line', timeoutMs: options.timeoutMs },
  );
  if (status >= 500 || status === 429) throw new UpstreamError('line', 'unavailable');
  if (status !== 200 || !isObject(body) || typeof body.friendFlag !== 'boolean')
    throw new UpstreamError('line', 'bad-response');
  return body.friendFlag;
}
