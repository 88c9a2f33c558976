import type { CompanyApiConfig } from '../../config.js';
import { UpstreamError } from '../../core/errors.js';
import type { FactorValues } from '../../core/member-factors.js';
import {
  type Clock,
  type CompanyMemberVerdict,
  type CompanyMemberVerifier,
  systemClock,
} from '../../core/ports/index.js';
import { fetchJson, isObject, type FetchLike, type JsonResponse } from '../http/fetch-with-timeout.js';
import { clientCredentialsToken } from '../http/oauth-client.js';

/** Options of {@link CompanyVerificationApiClient}. */
export interface CompanyVerificationApiClientOptions {
  config: CompanyApiConfig;
  /** Reads the client secret (`oauth`) or the API key (`api-key`), e.g. with `readSecret`. */
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

/** A call failed in a way one retry may fix (timeout, network, 5xx, 429). */
class Transient extends Error {
  override name = 'CompanyApiTransientError';
}

/**
 * Client of the company's member verification API (pattern 2, documented in docs/member-data.md):
 *
 * `POST {COMPANY_API_URL}` with `{"memberId": "...", "factors": {...normalized}}` →
 * `200 {"verified": true, "companyUserId": "..."}` or `200 {"verified": false}`; an answer that
 * names a `memberId` other than the one asked is refused (`company-api-bad-response`).
 *
 * Authentication is OAuth 2.0 client credentials (RFC 6749 §4.4, `client_secret_basic`, by
 * oauth4webapi; the
 * access token is cached on this object — module scope — until `expires_in` minus a margin,
 * one fetch shared by concurrent callers, and fetched again once if the API answers 401) or an
 * API key header. Every call has the configured timeout (3 s by default); a timeout, a network
 * error, a 5xx or a 429 is retried once after a short jittered back-off, and then becomes
 * `company-api-unavailable` (503). Any other unexpected answer is `company-api-bad-response`
 * (502). Nothing about the factors is logged or put into an error.
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

  async verifyMember(input: { memberId: string; factors: FactorValues }): Promise<CompanyMemberVerdict> {
    const body = JSON.stringify({ memberId: input.memberId, factors: input.factors });
    let renewed = false;
    const response = await this.withRetry(async () => {
      for (;;) {
        const headers = await this.authHeaders();
        const res = await this.call(this.options.config.url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
          body,
        });
        if (res.status === 401 && this.options.config.auth === 'oauth' && !renewed) {
          // The token may have been revoked or expired early: get a new one, once.
          renewed = true;
          this.token = undefined;
          continue;
        }
        return res;
      }
    });
    if (response.status !== 200 || !isObject(response.body))
      throw new UpstreamError('company-api', 'bad-response');
    const { verified, companyUserId, memberId } = response.body;
    // An answer about another member (a mixed-up or replayed response) is never acted on.
    if (memberId !== undefined && memberId !== input.memberId)
      throw new UpstreamError('company-api', 'bad-response');
    if (verified === false) return { verified: false };
    if (verified === true && typeof companyUserId === 'string' && COMPANY_USER_ID.test(companyUserId)) {
      return { verified: true, companyUserId };
    }
    throw new UpstreamError('company-api', 'bad-response');
  }

  private async authHeaders(): Promise<Record<string, string>> {
    const { config } = this.options;
    if (config.auth === 'api-key') return { [config.keyHeader]: await this.options.secret() };
    return { authorization: `Bearer ${(await this.accessToken()).value}` };
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

  /** One HTTP call; transient failures become {@link Transient} for {@link withRetry}. */
  private async call(url: string, init: RequestInit): Promise<JsonResponse> {
    let res: JsonResponse;
    try {
      res = await fetchJson(this.fetch, url, init, {
        upstream: 'company-api',
        timeoutMs: this.options.config.timeoutMs,
      });
    } catch (error) {
      throw new Transient('unavailable', { cause: error });
    }
    if (res.status >= 500 || res.status === 429) throw new Transient(`status ${res.status}`);
    return res;
  }

  /** Runs `operation`, once more after a jittered back-off if it failed transiently. */
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
