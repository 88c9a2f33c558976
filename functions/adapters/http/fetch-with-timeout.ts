import { UpstreamError, type Upstream } from '../../core/errors.js';

/** The subset of `fetch` the adapters use; tests may pass their own. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** A parsed upstream response: status plus JSON body (undefined when the body was not JSON). */
export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * Calls an upstream with a hard timeout and reads a JSON body. Network failures and timeouts
 * become `UpstreamError(upstream, 'unavailable')`, so every adapter fails closed the same way;
 * interpreting the status is left to the caller, which knows the upstream's protocol.
 */
export async function fetchJson(
  fetchImpl: FetchLike,
  url: string | URL,
  init: RequestInit,
  options: { upstream: Upstream; timeoutMs: number },
): Promise<JsonResponse> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      ...init,
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw new UpstreamError(options.upstream, 'unavailable', { cause: error });
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new UpstreamError(options.upstream, 'unavailable', { cause: error });
  }
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
