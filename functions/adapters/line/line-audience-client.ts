import { HTTPFetchError, manageAudience } from '@line/bot-sdk';
import { UpstreamError } from '../../core/errors.js';
import type { AudienceApi } from '../../core/ports/index.js';
import { backoffMs, retryAfterMs, type LineBackoffOptions } from './line-backoff.js';
import type { LineChannelTokenClient } from './line-channel-token-client.js';
import { withTimeout } from './line-sdk-call.js';

/** Options of {@link LineAudienceClient}. */
export interface LineAudienceClientOptions extends LineBackoffOptions {
  /** LINE API origin (`https://api.line.me`). */
  apiBase: string;
  /** Channel access tokens of the Messaging API channel. */
  tokens: LineChannelTokenClient;
  /** A request not answered within this is abandoned. */
  timeoutMs?: number;
  /** Tries per request in all (default 6). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** How far before the job started an audience it created may be dated (clocks differ). */
const CLOCK_SKEW_SECONDS = 300;

/**
 * LINE's audiences for uploading user IDs by JSON, through `@line/bot-sdk`'s ManageAudienceClient
 * (https://developers.line.biz/en/reference/messaging-api/#create-upload-audience-group and
 * #update-upload-audience-group: up to 10,000 user IDs a request, 60 requests a minute, one
 * operation at a time per audience, 429 beyond either).
 *
 * - A 429 is waited out (`Retry-After` when LINE sends one, else exponential back-off with full
 *   jitter), a bounded number of times: LINE took nothing, so sending again is safe.
 * - Adding users and reading audiences are also retried on a 5xx or no answer: adding the same
 *   users again is harmless.
 * - Creating is not: a create that got a 5xx or no answer may have made the audience, so it
 *   fails at once (`line-unavailable`) and the job looks for the audience before creating again.
 * - 401 gets a fresh channel access token once; another 4xx is final (`line-bad-response`, with
 *   LINE's reason, e.g. AUDIENCE_GROUP_NOT_FOUND or AUDIENCE_GROUP_COUNT_MAX_OVER).
 */
export class LineAudienceClient implements AudienceApi {
  private readonly sleep: (ms: number) => Promise<void>;
  private client: { token: string; api: manageAudience.ManageAudienceClient } | undefined;

  constructor(private readonly options: LineAudienceClientOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async create(input: { description: string; uploadDescription: string; lineUserIds: readonly string[] }) {
    const created = await this.call(
      (api) =>
        api.createAudienceGroup({
          description: input.description,
          isIfaAudience: false,
          uploadDescription: input.uploadDescription,
          audiences: input.lineUserIds.map((id) => ({ id })),
        }),
      { mayRepeat: false },
    );
    const id = created.audienceGroupId;
    if (typeof id !== 'number' || !Number.isSafeInteger(id))
      throw new UpstreamError('line', 'bad-response', {
        cause: new Error('LINE answered no audienceGroupId'),
      });
    return id;
  }

  async add(input: { audienceGroupId: number; uploadDescription: string; lineUserIds: readonly string[] }) {
    await this.call(
      (api) =>
        api.addAudienceToAudienceGroup({
          audienceGroupId: input.audienceGroupId,
          uploadDescription: input.uploadDescription,
          audiences: input.lineUserIds.map((id) => ({ id })),
        }),
      { mayRepeat: true },
    );
  }

  async findCreated(input: { description: string; uploadDescription: string; createdFrom: Date }) {
    const from = Math.floor(input.createdFrom.getTime() / 1000) - CLOCK_SKEW_SECONDS;
    const name = input.description.toLowerCase();
    for (let page = 1; ; page++) {
      const list = await this.call(
        (api) => api.getAudienceGroups(page, input.description, undefined, 40, false, 'MESSAGING_API'),
        { mayRepeat: true },
      );
      for (const group of list.audienceGroups ?? []) {
        // `description` matches in part and ignoring case: keep the exact name (LINE ignores case).
        if (group.type !== 'UPLOAD' || group.description?.toLowerCase() !== name) continue;
        if (group.audienceGroupId === undefined || (group.created ?? 0) < from) continue;
        const id = group.audienceGroupId;
        const data = await this.call((api) => api.getAudienceData(id), { mayRepeat: true });
        if ((data.jobs ?? []).some((job) => job.description === input.uploadDescription)) return id;
      }
      if (!list.hasNextPage) return undefined;
    }
  }

  /** One request with the retries its kind allows (see the class). */
  private async call<T>(
    request: (api: manageAudience.ManageAudienceClient) => Promise<T>,
    { mayRepeat }: { mayRepeat: boolean },
  ): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 6;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    let refreshedToken = false;
    for (let attempt = 1; ; attempt++) {
      let wait: number | undefined;
      try {
        return await withTimeout(
          request(await this.api()),
          timeoutMs,
          () => new Error(`No answer within ${timeoutMs} ms`),
        );
      } catch (error) {
        if (error instanceof UpstreamError) throw error;
        const status = error instanceof HTTPFetchError ? error.status : undefined;
        if (status === 401 && !refreshedToken) {
          refreshedToken = true;
          this.options.tokens.invalidate();
          wait = 0;
        } else if (status === 429) {
          wait = retryAfterMs(error as HTTPFetchError);
        } else if (status !== undefined && status < 500) {
          throw new UpstreamError('line', 'bad-response', {
            cause: new Error(lineReason(error as HTTPFetchError)),
          });
        } else if (!mayRepeat) {
          throw new UpstreamError('line', 'unavailable', {
            cause: new Error(
              status === undefined
                ? 'No answer from LINE to the create request: it may have created the audience.'
                : `LINE answered ${status} to the create request: it may have created the audience.`,
            ),
          });
        }
        if (attempt >= maxAttempts)
          throw new UpstreamError('line', 'unavailable', {
            cause: new Error(status === undefined ? 'No answer from LINE.' : `LINE answered ${status}.`),
          });
      }
      await this.sleep(wait ?? backoffMs(attempt, this.options));
    }
  }

  private async api(): Promise<manageAudience.ManageAudienceClient> {
    const token = await this.options.tokens.token();
    if (this.client?.token !== token) {
      this.client = {
        token,
        api: new manageAudience.ManageAudienceClient({
          baseURL: this.options.apiBase.replace(/\/+$/, ''),
          channelAccessToken: token,
        }),
      };
    }
    return this.client.api;
  }
}

/**
 * LINE's reason for refusing a request, from its error body (`{"message", "details":
 * [{"message"}]}`, https://developers.line.biz/en/reference/messaging-api/#error-responses): its
 * codes and messages name the problem, never a token or a user.
 */
function lineReason(error: HTTPFetchError): string {
  let reason = '';
  try {
    const body = JSON.parse(error.body) as { message?: unknown; details?: Array<{ message?: unknown }> };
    const detail = body.details?.find((d) => typeof d.message === 'string')?.message;
    reason = [body.message, detail].filter((s) => typeof s === 'string').join(': ');
  } catch {
    // not JSON: the status says it
  }
  return `LINE answered ${error.status}${reason ? `: ${reason.slice(0, 300)}` : ''}`;
}
