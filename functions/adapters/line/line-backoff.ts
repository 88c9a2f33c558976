import type { HTTPFetchError } from '@line/bot-sdk';

/** Back-off of the Messaging API clients that retry (multicast, audience uploads). */
export interface LineBackoffOptions {
  /** First back-off (doubles each retry, full jitter), default 500 ms; a 429's Retry-After wins. */
  baseBackoffMs?: number;
  /** Longest single wait, default 30 s. */
  maxBackoffMs?: number;
  random?: () => number;
}

/** Exponential back-off with full jitter before retry `attempt` (1 = after the first try). */
export function backoffMs(attempt: number, options: LineBackoffOptions): number {
  const cap = Math.min(options.maxBackoffMs ?? 30_000, (options.baseBackoffMs ?? 500) * 2 ** (attempt - 1));
  return Math.round((options.random ?? Math.random)() * cap);
}

/** `Retry-After` of a 429 in ms (seconds or an HTTP date), capped at 60 s; undefined when absent. */
export function retryAfterMs(error: HTTPFetchError): number | undefined {
  const value = error.headers?.get?.('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 60_000) : undefined;
}
