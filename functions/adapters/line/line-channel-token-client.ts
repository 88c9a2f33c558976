import { UpstreamError } from '../../core/errors.js';
import { systemClock, type Clock } from '../../core/ports/index.js';
import { fetchJson, isObject, type FetchLike } from '../http/fetch-with-timeout.js';

/** Options of {@link LineChannelTokenClient}. */
export interface LineChannelTokenClientOptions {
  /** LINE API origin (`https://api.line.me`). */
  apiBase: string;
  channelId: string;
  /** The channel secret, read lazily (Secrets Manager in Lambda). */
  channelSecret: () => Promise<string>;
  timeoutMs?: number;
  fetch?: FetchLike;
  clock?: Clock;
  /** A token is replaced this long before LINE says it expires. */
  refreshMarginMs?: number;
}

/**
 * Stateless channel access tokens (`POST /oauth2/v3/token`, client credentials; valid 15
 * minutes; https://developers.line.biz/en/reference/messaging-api/#issue-stateless-channel-access-token),
 * cached per execution environment until shortly before they expire. Works for a Messaging API
 * channel (multicast) and a LINE Login channel (deauthorize) alike. Concurrent callers share one
 * request; the token is never logged or put into an error.
 */
export class LineChannelTokenClient {
  private cached: { token: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;
  private readonly fetch: FetchLike;
  private readonly clock: Clock;

  constructor(private readonly options: LineChannelTokenClientOptions) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.clock = options.clock ?? systemClock;
  }

  /** A valid channel access token, from the cache when it has one. */
  async token(): Promise<string> {
    const now = this.clock.now().getTime();
    if (this.cached && now < this.cached.expiresAt) return this.cached.token;
    this.pending ??= this.issue().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Forgets the cached token (LINE refused it: revoked or the secret changed). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async issue(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.options.channelId,
      client_secret: await this.options.channelSecret(),
    });
    const response = await fetchJson(
      this.fetch,
      `${this.options.apiBase.replace(/\/+$/, '')}/oauth2/v3/token`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
      },
      { upstream: 'line', timeoutMs: this.options.timeoutMs ?? 3000 },
    );
    if (response.status >= 500 || response.status === 429) throw new UpstreamError('line', 'unavailable');
    const body = response.body;
    if (
      response.status !== 200 ||
      !isObject(body) ||
      typeof body.access_token !== 'string' ||
      !body.access_token
    )
      throw new UpstreamError('line', 'bad-response');
    const expiresInMs = (typeof body.expires_in === 'number' ? body.expires_in : 900) * 1000;
    const margin = Math.min(this.options.refreshMarginMs ?? 60_000, expiresInMs / 2);
    this.cached = { token: body.access_token, expiresAt: this.clock.now().getTime() + expiresInMs - margin };
    return body.access_token;
  }
}
