import { UpstreamError } from '../../core/errors.js';
import type { FriendshipStatusApi } from '../../core/ports/index.js';
import { fetchJson, isObject, type FetchLike } from '../http/fetch-with-timeout.js';

/** Options of {@link LineFriendshipClient}. */
export interface LineFriendshipClientOptions {
  /** LINE_API_BASE. */
  apiBase: string;
  /** Timeout of the call to LINE, milliseconds. */
  timeoutMs: number;
  fetch?: FetchLike;
}

/**
 * LINE Login's friendship status API, `GET /friendship/v1/status` with a user's own LINE Login
 * access token: whether that user has the LINE Official Account linked to the login channel as
 * a friend (https://developers.line.biz/en/reference/line-login/#get-friendship-status). It is a
 * LINE Login API, not the Messaging API's: it needs no channel access token, only the user's.
 */
export class LineFriendshipClient implements FriendshipStatusApi {
  constructor(private readonly options: LineFriendshipClientOptions) {}

  /** @throws UpstreamError (`line-unavailable` on 5xx, 429 or no answer; `line-bad-response` otherwise). */
  async isFriend(userAccessToken: string): Promise<boolean> {
    const { status, body } = await fetchJson(
      this.options.fetch ?? fetch,
      `${this.options.apiBase}/friendship/v1/status`,
      { headers: { authorization: `Bearer ${userAccessToken}` } },
      { upstream: 'line', timeoutMs: this.options.timeoutMs },
    );
    if (status >= 500 || status === 429) throw new UpstreamError('line', 'unavailable');
    if (status !== 200 || !isObject(body) || typeof body.friendFlag !== 'boolean')
      throw new UpstreamError('line', 'bad-response');
    return body.friendFlag;
  }
}
