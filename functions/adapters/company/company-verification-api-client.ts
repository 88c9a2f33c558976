import { UpstreamError } from '../../core/errors.js';
import type { FactorValues } from '../../core/member-factors.js';
import {
  type Clock,
  type CompanyMemberVerdict,
  type CompanyMemberVerifier,
  systemClock,
} from '../../core/ports/index.js';
import { isObject, type FetchLike, type JsonResponse } from '../http/fetch-with-timeout.js';
import { clientCredentialsToken } from '../http/oauth-client.js';

/**
 * Where the company's verification API is and how it is authenticated (functions/config.ts
 * reads it from `COMPANY_API_*`). Secrets are not part of it: they are read with `secret`.
 */
export type CompanyApiConfig = {
  url: string;
  timeoutMs: number;
} & (
  | { auth: 'oauth'; tokenUrl: string; clientId: string; scope?: string }
  | { auth: 'api-key'; keyHeader: string }
);

/** Options of {@link CompanyVerificationApiClient}. */
export interface CompanyVerificationApiClientOptions {
  config: CompanyApiConfig;
  /** Reads the client secret (`oauth`) or the API key (`api-key`), e.g. a `SecretReader`'s. */
  secret: () => Promise<string>;
  fetch?: FetchLike;
  clock?: Clock;
  /** Delay before the one retry after a 5xx or a timeout (ms, jittered ±50 %); default 200. */
  retryDelayMs?: number;
  /** An access token is renewed this long before it expires (seconds); default 60. */
  tokenRenewMarginSec?: number;
}

/** Company user IDs become DynamoDB keys: printable, bounded (as for pattern 1's `sub`). */
const COMPANY_USER_ID = /^[\x21-\x7e]{1,128}$/;

interface CachedToken {
  value: string;
  /** Epoch ms after which the token is not used any more. */
  renewAt: number;
}

/** A call failed in a way one retry may fix (the token endpoint unavailable; the API's timeout, network failure or 5xx). */
class Transient extends Error {
  override name = 'CompanyApiTransientError';
}

/** Why a call to the API gives way to the one retry: no answer in time, no connection, or a 5xx. */
type Transience = 'timeout' | 'network' | `status ${number}`;

/**
 * Client of the company's member verification API (pattern 2, documented in docs/member-data.md):
 *
 * `POST {COMPANY_API_URL}` with `{"memberId": "...", "factors": {...normalized}}` →
 * `200 {"verified": true, "companyUserId": "..."}` or `200 {"verified": false}`; an answer that
 * names a `memberId` other than the one asked is refused (`company-api-bad-response`).
 *
 * Authentication is OAuth 2.0 client credentials (RFC 6749 §4.4, `client_secret_basic`, by
 * oauth4webapi; the access token is cached on this object — module scope — until `expires_in`
 * minus a margin, one fetch shared by concurrent callers, retried once when the token endpoint
 * is unavailable) or an API key header.
 *
 * **At most two calls to the API per verification**, whatever the timing: the second only after
 * a timeout, a connection failure or a 5xx (after a short jittered back-off), or — with OAuth —
 * after a 401, with a new token. An answer is never retried: a 4xx, or a 200 whose body is not
 * the expected JSON (`company-api-bad-response`, 502; a 429 is `company-api-unavailable`, 503).
 * Two failed calls are `company-api-unavailable` (503). Each call has the configured timeout
 * (3 s by default); when the caller says how long it waits (`within`, pattern 2's failure
 * deadline), the first call gets at most half of what is left after the back-off, so that the
 * retry always fits, and nothing is sent once the caller's signal is aborted. Nothing about
 * the factors is logged or put into an error.
 */
export class CompanyVerificationApiClient implements CompanyMemberVerifier {
  private readonly fetch: FetchLike;
  private readonly clock: Clock;
  private readonly retryDelayMs: number;
  private readonly renewMarginMs: number;
  private token: Promise<CachedToken> | undefined;

  constructor(private readonly options: CompanyVerificationApiClientOptions) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.clock = options.clock ?? systemClock;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.renewMarginMs = (options.tokenRenewMarginSec ?? 60) * 1000;
  }

  async verifyMember(input: {
    memberId: string;
    factors: FactorValues;
    within?: { ms: number; signal: AbortSignal };
  }): Promise<CompanyMemberVerdict> {
    const body = JSON.stringify({ memberId: input.memberId, factors: input.factors });
    const endsAt = input.within ? performance.now() + input.within.ms : undefined;
    const signal = input.within?.signal;
    const maxDelayMs = this.retryDelayMs * 1.5;
    let renewed = false;
    let failure: Transience | undefined;
    for (let call = 1; call <= 2; call++) {
      const headers = await this.authHeaders(signal);
      let timeoutMs = this.options.config.timeoutMs;
      if (endsAt !== undefined) {
        const left = endsAt - performance.now();
        if (left <= 0 || signal?.aborted) break;
        // The first call leaves room for the back-off and the retry; the retry gets what is left.
        const share = call === 1 && left > maxDelayMs ? (left - maxDelayMs) / 2 : left;
        timeoutMs = Math.max(1, Math.min(timeoutMs, Math.floor(share)));
      }
      const outcome = await this.call(
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
          body,
        },
        timeoutMs,
        signal,
      );
      if ('transient' in outcome) {
        failure = outcome.transient;
        if (call === 1 && !signal?.aborted) await delay(this.retryDelayMs * (0.5 + Math.random()), signal);
        continue;
      }
      if (outcome.status === 401 && this.options.config.auth === 'oauth' && call === 1 && !renewed) {
        // The token may have been revoked or expired early: get a new one, once (the one repeat).
        renewed = true;
        this.token = undefined;
        continue;
      }
      return this.verdict(outcome, input.memberId);
    }
    throw new UpstreamError('company-api', 'unavailable', {
      cause: new Transient(failure ?? 'the caller stopped waiting'),
    });
  }

  /** The verdict in an answer, or why the answer is not one. */
  private verdict(response: JsonResponse, memberId: string): CompanyMemberVerdict {
    if (response.status === 429) throw new UpstreamError('company-api', 'unavailable');
    if (response.status !== 200 || !isObject(response.body))
      throw new UpstreamError('company-api', 'bad-response');
    const { verified, companyUserId } = response.body;
    // An answer about another member (a mixed-up or replayed response) is never acted on.
    if (response.body.memberId !== undefined && response.body.memberId !== memberId)
      throw new UpstreamError('company-api', 'bad-response');
    if (verified === false) return { verified: false };
    if (verified === true && typeof companyUserId === 'string' && COMPANY_USER_ID.test(companyUserId)) {
      return { verified: true, companyUserId };
    }
    throw new UpstreamError('company-api', 'bad-response');
  }

  private async authHeaders(signal?: AbortSignal): Promise<Record<string, string>> {
    const { config } = this.options;
    if (config.auth === 'api-key') return { [config.keyHeader]: await this.options.secret() };
    // The token fetch is shared with concurrent callers: this one only stops waiting for it.
    const token = await untilAborted(this.accessToken(), signal);
    return { authorization: `Bearer ${token.value}` };
  }

  /** The cached access token, or one new token fetch shared by everyone waiting. */
  private async accessToken(): Promise<CachedToken> {
    const cached = this.token;
    if (cached) {
      const token = await cached.catch(() => undefined);
      if (token && token.renewAt > this.clock.now().getTime()) return token;
      if (this.token !== cached) return this.accessToken(); // someone else is already renewing
    }
    const fetching = this.fetchToken();
    this.token = fetching;
    fetching.catch(() => {
      if (this.token === fetching) this.token = undefined;
    });
    return fetching;
  }

  private async fetchToken(): Promise<CachedToken> {
    const { config } = this.options;
    if (config.auth !== 'oauth') throw new Error('unreachable');
    const secret = await this.options.secret();
    const token = await this.withRetry(async () => {
      try {
        return await clientCredentialsToken({
          tokenEndpoint: config.tokenUrl,
          clientId: config.clientId,
          auth: { method: 'client_secret_basic', clientSecret: secret },
          ...(config.scope ? { scope: config.scope } : {}),
          upstream: 'company-api',
          fetch: this.fetch,
          timeoutMs: config.timeoutMs,
        });
      } catch (error) {
        if (error instanceof UpstreamError && error.kind === 'unavailable')
          throw new Transient('unavailable', { cause: error });
        throw error;
      }
    });
    const lifetimeMs = (token.expiresIn ?? 300) * 1000;
    const usableMs = lifetimeMs > 2 * this.renewMarginMs ? lifetimeMs - this.renewMarginMs : lifetimeMs / 2;
    return { value: token.accessToken, renewAt: this.clock.now().getTime() + usableMs };
  }

  /**
   * One call to the API: its answer (status and JSON body, `undefined` when the body is not
   * JSON or could not be read), or why there was none worth having (a timeout, a connection
   * failure, a 5xx). Once the status line has arrived, the API has answered: a broken body is a
   * bad answer, not a reason to ask again.
   */
  private async call(
    init: RequestInit,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<JsonResponse | { transient: Transience }> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await this.fetch(this.options.config.url, {
        ...init,
        redirect: 'error',
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
    } catch {
      return { transient: timeout.aborted ? 'timeout' : 'network' };
    }
    if (response.status >= 500) {
      await response.body?.cancel().catch(() => undefined);
      return { transient: `status ${response.status}` };
    }
    let body: unknown;
    try {
      const text = await response.text();
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  }

  /** Runs the token fetch `operation`, once more after a jittered back-off if it failed transiently. */
  private async withRetry<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof Transient)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * (0.5 + Math.random())));
    try {
      return await operation();
    } catch (error) {
      if (error instanceof Transient) throw new UpstreamError('company-api', 'unavailable', { cause: error });
      throw error;
    }
  }
}

/** A back-off that ends early when `signal` aborts. */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** `promise`, or `company-api-unavailable` as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new UpstreamError('company-api', 'unavailable'));
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new UpstreamError('company-api', 'unavailable'));
    signal.addEventListener('abort', stop, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}
