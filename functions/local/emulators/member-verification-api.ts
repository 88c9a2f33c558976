/**
 * The company's member verification API (pattern 2) as the company IdP emulator serves it, from
 * its member list, following the contract of docs/member-data.md:
 *
 * - `POST /token` with `grant_type=client_credentials` (client authenticated by the IdP's
 *   `client_secret_basic` / `client_secret_post`) → `{access_token, token_type, expires_in}`;
 * - `POST /api/members/verify` with `Authorization: Bearer <that token>` or an API key header,
 *   JSON `{"memberId": "...", "factors": {"birthDate": "YYYY-MM-DD", "postalCode": "digits",
 *   "phone": "digits"}}` → `{"verified": true, "companyUserId": "<memberId>"}` when the member
 *   exists and every factor sent equals its record, `{"verified": false}` otherwise.
 *
 * Factors are compared exactly as sent (already normalized by the service), so a service that
 * forgot to normalize fails here as it would against a strict company API.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../core/ports/index.js';
import { headerValue, json, type AppRequest, type AppResponse } from './http-app.js';
import type { CompanyTestMember } from './test-identities.js';

/** The API key the emulator accepts by default (local runs only). */
export const DEFAULT_COMPANY_API_KEY = 'dev-company-api-key';

const FACTORS = ['birthDate', 'postalCode', 'phone'] as const;

export interface MemberVerificationApiOptions {
  members: () => readonly CompanyTestMember[];
  /** Accepted API keys; default [{@link DEFAULT_COMPANY_API_KEY}]. */
  apiKeys?: readonly string[];
  /** Header carrying the API key; default `x-api-key`. */
  apiKeyHeader?: string;
  /** Lifetime of client-credentials access tokens in seconds; default 3600. */
  tokenTtlSec?: number;
  /** Time of token lifetimes; default the system clock. */
  clock?: Clock;
}

export class MemberVerificationApi {
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  private readonly apiKeys: ReadonlySet<string>;
  private readonly apiKeyHeader: string;
  private readonly tokenTtlSec: number;

  constructor(private readonly options: MemberVerificationApiOptions) {
    this.apiKeys = new Set(options.apiKeys ?? [DEFAULT_COMPANY_API_KEY]);
    this.apiKeyHeader = (options.apiKeyHeader ?? 'x-api-key').toLowerCase();
    this.tokenTtlSec = options.tokenTtlSec ?? 3600;
  }

  /** Epoch ms of the injected clock. */
  private now(): number {
    return (this.options.clock ?? systemClock).now().getTime();
  }

  /** The `client_credentials` grant of `POST /token`, for an already authenticated client. */
  clientCredentialsGrant(req: AppRequest, clientId: string): AppResponse {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { clientId, expiresAt: this.now() + this.tokenTtlSec * 1000 });
    const scope = req.form.get('scope');
    return json(200, {
      access_token: token,
      token_type: 'Bearer',
      expires_in: this.tokenTtlSec,
      ...(scope ? { scope } : {}),
    });
  }

  /** Forgets every access token issued so far (tests of token renewal). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  /** `POST /api/members/verify`. */
  verify(req: AppRequest): AppResponse {
    if (!this.authorized(req)) {
      return json(
        401,
        { error: 'invalid_token', error_description: 'A valid access token or API key is required.' },
        {
          'www-authenticate': 'Bearer realm="company-api", error="invalid_token"',
        },
      );
    }
    const body = req.json;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return json(400, { error: 'invalid_request', error_description: 'Send JSON {memberId, factors}.' });
    }
    const { memberId, factors } = body as Record<string, unknown>;
    if (
      typeof memberId !== 'string' ||
      typeof factors !== 'object' ||
      factors === null ||
      Array.isArray(factors)
    ) {
      return json(400, {
        error: 'invalid_request',
        error_description: 'memberId must be a string and factors an object.',
      });
    }
    const entries = Object.entries(factors as Record<string, unknown>);
    if (
      entries.length === 0 ||
      entries.some(([name, value]) => !FACTORS.includes(name as never) || typeof value !== 'string')
    ) {
      return json(400, {
        error: 'invalid_request',
        error_description: `factors: one or more of ${FACTORS.join(', ')}, as strings.`,
      });
    }
    const member = this.options.members().find((m) => m.memberId === memberId);
    const verified =
      member !== undefined &&
      entries.every(([name, value]) => member[name as (typeof FACTORS)[number]] === value);
    return json(200, verified ? { verified: true, companyUserId: member.memberId } : { verified: false });
  }

  private authorized(req: AppRequest): boolean {
    const key = headerValue(req.headers[this.apiKeyHeader]);
    if (key !== undefined) return this.apiKeys.has(key);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(req.headers.authorization) ?? '');
    const token = match ? this.tokens.get(match[1]!) : undefined;
    return token !== undefined && token.expiresAt > this.now();
  }
}
