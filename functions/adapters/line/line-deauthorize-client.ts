import { UpstreamError } from '../../core/errors.js';
import type { LineDeauthorizer } from '../../core/ports/index.js';
import { fetchJson, type FetchLike } from '../http/fetch-with-timeout.js';
import type { LineChannelTokenClient } from './line-channel-token-client.js';

/** Options of {@link LineDeauthorizeClient}. */
export interface LineDeauthorizeClientOptions {
  apiBase: string;
  /** Channel access tokens of the LINE Login channel the user authorized. */
  tokens: LineChannelTokenClient;
  timeoutMs?: number;
  fetch?: FetchLike;
}

/**
 * `POST /user/v1/deauthorize` (https://developers.line.biz/en/reference/line-login/#deauthorize):
 * revokes the user's authorization of our LINE Login channel, as LINE's development guidelines
 * require when a user unlinks. Bearer = the LINE Login channel access token; body = the user's
 * access token. A 401 (our channel token was revoked) gets one retry with a fresh token.
 */
export class LineDeauthorizeClient implements LineDeauthorizer {
  private readonly fetch: FetchLike;

  constructor(private readonly options: LineDeauthorizeClientOptions) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async deauthorize(userAccessToken: string): Promise<void> {
    for (let round = 0; round < 2; round++) {
      const channelToken = await this.options.tokens.token();
      const response = await fetchJson(
        this.fetch,
        `${this.options.apiBase.replace(/\/+$/, '')}/user/v1/deauthorize`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${channelToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ userAccessToken }),
        },
        { upstream: 'line', timeoutMs: this.options.timeoutMs ?? 3000 },
      );
      if (response.status === 204 || response.status === 200) return;
      if (response.status === 401 && round === 0) {
        this.options.tokens.invalidate();
        continue;
      }
      if (response.status >= 500 || response.status === 429) throw new UpstreamError('line', 'unavailable');
      throw new UpstreamError('line', 'bad-response');
    }
  }
}
