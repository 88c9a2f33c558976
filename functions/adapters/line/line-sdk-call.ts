import { HTTPFetchError, type messagingApi } from '@line/bot-sdk';
import { UpstreamError } from '../../core/errors.js';

/**
 * Races `promise` against a timer. `@line/bot-sdk`'s clients take no abort signal, so a request
 * that runs out of time is abandoned: its late answer (or failure) is ignored.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => undefined);
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * LINE's answer to a failed SDK call as a domain error: 5xx, 429, a timeout or a network failure
 * are `line-unavailable`, any other status `line-bad-response`. Only the status is kept: the
 * SDK's error carries LINE's response body, and nothing that may hold a token leaves here.
 */
export function lineSdkError(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof HTTPFetchError) {
    return new UpstreamError(
      'line',
      error.status >= 500 || error.status === 429 ? 'unavailable' : 'bad-response',
      { cause: new Error(`LINE answered ${error.status}`) },
    );
  }
  return new UpstreamError('line', 'unavailable', { cause: error });
}

/** One SDK call under `timeoutMs`, its failures as {@link lineSdkError}. */
export async function callLineSdk<T>(request: () => Promise<T>, timeoutMs: number): Promise<T> {
  try {
    return await withTimeout(request(), timeoutMs, () => new UpstreamError('line', 'unavailable'));
  } catch (error) {
    throw lineSdkError(error);
  }
}

/** The HTTP status of a failed SDK call, if LINE answered at all. */
export function lineSdkStatus(error: unknown): number | undefined {
  return error instanceof HTTPFetchError ? error.status : undefined;
}

/** The channel access tokens a call needs: the SDK client, and forgetting a revoked token. */
export interface ChannelTokens {
  messagingApi(): Promise<messagingApi.MessagingApiClient>;
  invalidate(): void;
}

/**
 * One Messaging API call with the channel's current access token, under `timeoutMs`: a 401 (the
 * token was revoked) forgets the token and tries once more with a fresh one. Failures become
 * `toError(error)`, by default {@link lineSdkError}.
 */
export async function callWithChannelToken<T>(
  tokens: ChannelTokens,
  timeoutMs: number,
  request: (api: messagingApi.MessagingApiClient) => Promise<T>,
  toError: (error: unknown) => Error = lineSdkError,
): Promise<T> {
  for (let round = 0; ; round++) {
    const api = await tokens.messagingApi();
    try {
      return await withTimeout(request(api), timeoutMs, () => new UpstreamError('line', 'unavailable'));
    } catch (error) {
      if (round === 0 && lineSdkStatus(error) === 401) {
        tokens.invalidate();
        continue;
      }
      throw toError(error);
    }
  }
}
