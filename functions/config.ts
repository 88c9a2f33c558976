/**
 * The one place that reads configuration (DESIGN.md, "Configuration"). Handlers call these
 * loaders once at module scope, so a missing or malformed variable fails the cold start with a
 * message that names it, instead of failing a user's request later.
 *
 * The same names are used locally and in Lambda; secrets are read from `NAME` locally or from
 * AWS Secrets Manager through `NAME_ARN` in the cloud (see {@link readSecret}).
 */

import { DEFAULT_ATTEMPT_LIMITS, type AttemptLimits } from './core/attempt-policy.js';
import { isMemberFactor, MEMBER_FACTOR_NAMES, type MemberFactor } from './core/member-factors.js';

/** A configuration problem, raised at cold start; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** The value of `name`, trimmed; throws naming the variable when it is unset or blank. */
export function requireEnv(env: Env, name: string, why?: string): string {
  const value = env[name]?.trim();
  if (!value) {
    throw new ConfigError(`Missing required environment variable ${name}${why ? ` (${why})` : ''}.`);
  }
  return value;
}

/** The value of `name`, trimmed, or `fallback` when unset or blank. */
export function optionalEnv(env: Env, name: string, fallback: string): string;
export function optionalEnv(env: Env, name: string): string | undefined;
export function optionalEnv(env: Env, name: string, fallback?: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : fallback;
}

/** A comma-separated list; blanks dropped. */
export function listEnv(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A positive integer, or `fallback`. */
export function intEnv(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`Environment variable ${name} must be a positive integer, got "${raw}".`);
  }
  return value;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for `localhost`, `127.0.0.0/8` and `::1`: the only hosts allowed over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Parses a URL setting and insists on https, except for loopback hosts (emulators, tests).
 * Returned without a trailing slash so paths can be appended.
 */
export function secureUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`Environment variable ${name} must be an absolute URL, got "${value}".`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ConfigError(
      `Environment variable ${name} must use https (http is accepted only for loopback hosts).`,
    );
  }
  return value.replace(/\/+$/, '');
}

/** Settings of the LINE Login channel and the LINE Platform origins. */
export interface LineConfig {
  channelId: string;
  apiBase: string;
  authBase: string;
  issuer: string;
  /** Timeout of every outbound call to LINE, in milliseconds. */
  timeoutMs: number;
}

export function loadLineConfig(env: Env = process.env): LineConfig {
  return {
    channelId: requireEnv(env, 'LINE_CHANNEL_ID', 'the LINE Login channel ID'),
    apiBase: secureUrl(optionalEnv(env, 'LINE_API_BASE', 'https://api.line.me'), 'LINE_API_BASE'),
    authBase: secureUrl(optionalEnv(env, 'LINE_AUTH_BASE', 'https://access.line.me'), 'LINE_AUTH_BASE'),
    // The issuer is compared verbatim with the token's `iss`, so it is not normalized.
    issuer: optionalEnv(env, 'LINE_ISSUER', 'https://access.line.me'),
    timeoutMs: intEnv(env, 'OUTBOUND_TIMEOUT_MS', 3000),
  };
}

/** Settings of the service's client at the company OpenID Connect IdP (pattern 1). */
export interface CompanyOidcConfig {
  issuer: string;
  clientId: string;
  timeoutMs: number;
}

export function loadCompanyOidcConfig(env: Env = process.env): CompanyOidcConfig {
  const issuer = requireEnv(env, 'COMPANY_OIDC_ISSUER', 'the company IdP issuer, needed for pattern 1');
  secureUrl(issuer, 'COMPANY_OIDC_ISSUER');
  return {
    issuer,
    clientId: requireEnv(env, 'COMPANY_OIDC_CLIENT_ID', 'the client ID at the company IdP'),
    timeoutMs: intEnv(env, 'OUTBOUND_TIMEOUT_MS', 3000),
  };
}

/** Exact origins allowed to call the API from a browser. Empty: no CORS headers at all. */
export function loadCorsOrigins(env: Env = process.env): string[] {
  return listEnv(env, 'CORS_ALLOWED_ORIGINS').map((origin) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`CORS_ALLOWED_ORIGINS entry "${origin}" is not an origin.`);
    }
    if (url.origin !== origin) {
      throw new ConfigError(
        `CORS_ALLOWED_ORIGINS entry "${origin}" must be an exact origin like ${url.origin}.`,
      );
    }
    return origin;
  });
}

/**
 * Reads a secret: the variable `name` itself when set (local runs), otherwise the Secrets
 * Manager secret whose ARN is in `${name}_ARN` (Lambda), cached by Powertools for the life of
 * the execution environment (refreshed every 5 minutes so rotation takes effect).
 */
export async function readSecret(name: string, env: Env = process.env): Promise<string> {
  const direct = env[name];
  if (direct) return direct;
  const arn = env[`${name}_ARN`];
  if (!arn) throw new ConfigError(`Missing required environment variable ${name} (or ${name}_ARN).`);
  // Loaded lazily: local runs and handlers that need no secret never pay for the SDK.
  const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
  const value = await getSecret(arn, { maxAge: 300 });
  if (typeof value !== 'string' || !value) throw new ConfigError(`Secret ${name}_ARN has no string value.`);
  return value;
}

// ------------------------------------------------------------------ member data (patterns 2 and 3)

/** The factors a deployment requires when no `MEMBER_FACTORS` is set. */
export const DEFAULT_MEMBER_FACTORS: readonly MemberFactor[] = ['birthDate', 'postalCode'];

/**
 * `MEMBER_FACTORS`: comma-separated factors the user must type besides the member number, from
 * birthDate, postalCode, phone (default `birthDate,postalCode`). Used by both member-data
 * routes and by the import (which requires these columns).
 */
export function loadMemberFactors(env: Env = process.env): MemberFactor[] {
  const names = listEnv(env, 'MEMBER_FACTORS');
  if (names.length === 0) return [...DEFAULT_MEMBER_FACTORS];
  const factors: MemberFactor[] = [];
  for (const name of names) {
    if (!isMemberFactor(name)) {
      throw new ConfigError(
        `Environment variable MEMBER_FACTORS has unknown factor "${name}"; use ${MEMBER_FACTOR_NAMES.join(', ')}.`,
      );
    }
    if (factors.includes(name))
      throw new ConfigError(`Environment variable MEMBER_FACTORS lists "${name}" twice.`);
    factors.push(name);
  }
  return factors;
}

/** Shortest pepper accepted when it is given directly (a Secrets Manager value is checked when read). */
export const MIN_PEPPER_LENGTH = 16;

/**
 * Checks at cold start that the hashing pepper is configured (`MEMBER_HASH_PEPPER` locally,
 * `MEMBER_HASH_PEPPER_ARN` in Lambda); the value itself is read with {@link readSecret}.
 */
export function checkMemberHashPepper(env: Env = process.env): void {
  const direct = env.MEMBER_HASH_PEPPER;
  if (direct !== undefined && direct !== '') {
    if (direct.length < MIN_PEPPER_LENGTH) {
      throw new ConfigError(
        `Environment variable MEMBER_HASH_PEPPER must be at least ${MIN_PEPPER_LENGTH} characters.`,
      );
    }
    return;
  }
  if (!env.MEMBER_HASH_PEPPER_ARN?.trim()) {
    throw new ConfigError(
      'Missing required environment variable MEMBER_HASH_PEPPER (or MEMBER_HASH_PEPPER_ARN).',
    );
  }
}

/**
 * Guessing protection: `ATTEMPTS_PER_MEMBER` (5), `ATTEMPTS_PER_LINE_USER` (10) and
 * `ATTEMPTS_GLOBAL` (1000) attempts per window of `ATTEMPTS_WINDOW_SECONDS` (900).
 */
export function loadAttemptLimits(env: Env = process.env): AttemptLimits {
  return {
    perMember: intEnv(env, 'ATTEMPTS_PER_MEMBER', DEFAULT_ATTEMPT_LIMITS.perMember),
    perLineUser: intEnv(env, 'ATTEMPTS_PER_LINE_USER', DEFAULT_ATTEMPT_LIMITS.perLineUser),
    global: intEnv(env, 'ATTEMPTS_GLOBAL', DEFAULT_ATTEMPT_LIMITS.global),
    windowSeconds: intEnv(env, 'ATTEMPTS_WINDOW_SECONDS', DEFAULT_ATTEMPT_LIMITS.windowSeconds),
  };
}

/** Settings of the company's member verification API (pattern 2). Secrets are read later. */
export type CompanyApiConfig = {
  url: string;
  timeoutMs: number;
} & (
  | { auth: 'oauth'; tokenUrl: string; clientId: string; scope?: string }
  | { auth: 'api-key'; keyHeader: string }
);

/**
 * `COMPANY_API_URL` (the verification endpoint), `COMPANY_API_AUTH` = `oauth` (client
 * credentials at `COMPANY_API_TOKEN_URL` with `COMPANY_API_CLIENT_ID` /
 * `COMPANY_API_CLIENT_SECRET`, optional `COMPANY_API_SCOPE`) or `api-key` (`COMPANY_API_KEY`
 * sent in the `COMPANY_API_KEY_HEADER` header, default `x-api-key`). The secrets may be given
 * as `_ARN` in Lambda.
 */
export function loadCompanyApiConfig(env: Env = process.env): CompanyApiConfig {
  const url = secureUrl(
    requireEnv(env, 'COMPANY_API_URL', 'the company member verification endpoint, needed for pattern 2'),
    'COMPANY_API_URL',
  );
  const timeoutMs = intEnv(env, 'OUTBOUND_TIMEOUT_MS', 3000);
  const auth = optionalEnv(env, 'COMPANY_API_AUTH', 'oauth');
  const requireSecret = (name: string) => {
    if (!env[name] && !env[`${name}_ARN`]?.trim()) {
      throw new ConfigError(
        `Missing required environment variable ${name} (or ${name}_ARN) for COMPANY_API_AUTH=${auth}.`,
      );
    }
  };
  if (auth === 'oauth') {
    const tokenUrl = secureUrl(
      requireEnv(env, 'COMPANY_API_TOKEN_URL', 'the token endpoint for COMPANY_API_AUTH=oauth'),
      'COMPANY_API_TOKEN_URL',
    );
    const clientId = requireEnv(env, 'COMPANY_API_CLIENT_ID', 'the client ID for COMPANY_API_AUTH=oauth');
    requireSecret('COMPANY_API_CLIENT_SECRET');
    const scope = optionalEnv(env, 'COMPANY_API_SCOPE');
    return { url, timeoutMs, auth, tokenUrl, clientId, ...(scope ? { scope } : {}) };
  }
  if (auth === 'api-key') {
    const keyHeader = optionalEnv(env, 'COMPANY_API_KEY_HEADER', 'x-api-key').toLowerCase();
    if (
      !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(keyHeader) ||
      keyHeader === 'host' ||
      keyHeader === 'content-type'
    ) {
      throw new ConfigError(
        `Environment variable COMPANY_API_KEY_HEADER must be a header name, got "${keyHeader}".`,
      );
    }
    requireSecret('COMPANY_API_KEY');
    return { url, timeoutMs, auth, keyHeader };
  }
  throw new ConfigError(`Environment variable COMPANY_API_AUTH must be "oauth" or "api-key", got "${auth}".`);
}

/** Settings of the web linking flow (issue 3; the `web` settings group). */
export interface WebConfig {
  /** PUBLIC_BASE_URL without a trailing slash; redirect URIs are built from it. */
  publicBaseUrl: string;
  /** APP_RETURN_URLS in canonical form (`new URL(x).href`); the first is the default `returnTo`. */
  returnUrls: string[];
  /** False only when PUBLIC_BASE_URL is plain http on a loopback host (local runs). */
  secureCookies: boolean;
  /** Path of the binding cookie: the base URL's path + `/auth`. */
  cookiePath: string;
  /** Optional parameters of LINE's authorization request. */
  line: {
    botPrompt?: 'normal' | 'aggressive';
    prompt?: 'consent';
    uiLocales?: string;
    disableAutoLogin: boolean;
  };
  company: {
    /** Scopes asked of the company IdP; always includes `openid`. */
    scope: string;
    tokenAuthMethod: 'client_secret_basic' | 'client_secret_post';
  };
  /** Lifetime of a login session and of the binding cookie, in seconds. */
  sessionTtlSeconds: number;
}

/**
 * Loads the web flow's settings:
 * - `PUBLIC_BASE_URL` (required): https (http only on loopback), no query, fragment or userinfo;
 * - `APP_RETURN_URLS` (required): comma-separated absolute URLs, https (http only on loopback),
 *   no userinfo, no fragment; `returnTo` must equal one of them exactly;
 * - `LINE_BOT_PROMPT` (`normal` | `aggressive`), `LINE_PROMPT` (`consent`), `LINE_UI_LOCALES`
 *   (space-separated BCP 47 tags), `LINE_DISABLE_AUTO_LOGIN` (`true` | `false`, default false);
 * - `COMPANY_OIDC_SCOPES` (default `openid`; must contain `openid`),
 *   `COMPANY_OIDC_TOKEN_AUTH_METHOD` (`client_secret_basic`, default, or `client_secret_post`).
 */
export function loadWebConfig(env: Env = process.env): WebConfig {
  const publicBaseUrl = secureUrl(
    requireEnv(env, 'PUBLIC_BASE_URL', 'the public origin of this API, for the web flow'),
    'PUBLIC_BASE_URL',
  );
  const base = new URL(publicBaseUrl);
  if (base.search || base.hash || base.username || base.password) {
    throw new ConfigError(
      'Environment variable PUBLIC_BASE_URL must be an origin with an optional path: no query, fragment or userinfo.',
    );
  }
  const rawReturnUrls = listEnv(env, 'APP_RETURN_URLS');
  if (rawReturnUrls.length === 0) {
    throw new ConfigError(
      'Missing required environment variable APP_RETURN_URLS (comma-separated return URLs allowed after the web flow).',
    );
  }
  const returnUrls = rawReturnUrls.map((value) => {
    secureUrl(value, 'APP_RETURN_URLS');
    const url = new URL(value);
    if (url.username || url.password || url.hash) {
      throw new ConfigError(`APP_RETURN_URLS entry "${value}" must not contain userinfo or a fragment.`);
    }
    return url.href;
  });

  const botPrompt = optionalEnv(env, 'LINE_BOT_PROMPT');
  if (botPrompt !== undefined && botPrompt !== 'normal' && botPrompt !== 'aggressive') {
    throw new ConfigError(
      `Environment variable LINE_BOT_PROMPT must be "normal" or "aggressive", got "${botPrompt}".`,
    );
  }
  const prompt = optionalEnv(env, 'LINE_PROMPT');
  if (prompt !== undefined && prompt !== 'consent') {
    throw new ConfigError(`Environment variable LINE_PROMPT must be "consent", got "${prompt}".`);
  }
  const uiLocales = optionalEnv(env, 'LINE_UI_LOCALES');
  if (
    uiLocales !== undefined &&
    !/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*( [A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)*$/.test(uiLocales)
  ) {
    throw new ConfigError(
      `Environment variable LINE_UI_LOCALES must be space-separated language tags (e.g. "ja en-US"), got "${uiLocales}".`,
    );
  }
  const scope = optionalEnv(env, 'COMPANY_OIDC_SCOPES', 'openid').split(/\s+/).filter(Boolean);
  if (!scope.includes('openid') || !scope.every((s) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    throw new ConfigError(
      'Environment variable COMPANY_OIDC_SCOPES must be space-separated scopes including "openid".',
    );
  }
  const tokenAuthMethod = optionalEnv(env, 'COMPANY_OIDC_TOKEN_AUTH_METHOD', 'client_secret_basic');
  if (tokenAuthMethod !== 'client_secret_basic' && tokenAuthMethod !== 'client_secret_post') {
    throw new ConfigError(
      `Environment variable COMPANY_OIDC_TOKEN_AUTH_METHOD must be "client_secret_basic" or "client_secret_post", got "${tokenAuthMethod}".`,
    );
  }
  return {
    publicBaseUrl,
    returnUrls,
    secureCookies: base.protocol === 'https:',
    cookiePath: `${base.pathname.replace(/\/+$/, '')}/auth`,
    line: {
      ...(botPrompt ? { botPrompt } : {}),
      ...(prompt ? { prompt } : {}),
      ...(uiLocales ? { uiLocales } : {}),
      disableAutoLogin: booleanEnv(env, 'LINE_DISABLE_AUTO_LOGIN', false),
    },
    company: { scope: scope.join(' '), tokenAuthMethod },
    sessionTtlSeconds: 600,
  };
}

/** `true` / `false` (case-insensitive), or `fallback` when unset. */
export function booleanEnv(env: Env, name: string, fallback: boolean): boolean {
  const raw = optionalEnv(env, name);
  if (raw === undefined) return fallback;
  if (/^true$/i.test(raw)) return true;
  if (/^false$/i.test(raw)) return false;
  throw new ConfigError(`Environment variable ${name} must be "true" or "false", got "${raw}".`);
}

/** Settings of the S3-triggered member import (functions/handlers/members-import-s3.ts). */
export interface MemberImportSettings {
  /** `MEMBERS_IMPORT_DELETE_MISSING=true`: each file is the complete member list (default false). */
  deleteMissing: boolean;
  /** `MEMBERS_IMPORT_CONCURRENCY`: DynamoDB requests in flight (default 8). */
  concurrency: number;
}

export function loadMemberImportSettings(env: Env = process.env): MemberImportSettings {
  const raw = optionalEnv(env, 'MEMBERS_IMPORT_DELETE_MISSING', 'false').toLowerCase();
  if (raw !== 'true' && raw !== 'false') {
    throw new ConfigError(
      `Environment variable MEMBERS_IMPORT_DELETE_MISSING must be "true" or "false", got "${raw}".`,
    );
  }
  return {
    deleteMissing: raw === 'true',
    concurrency: Math.min(64, intEnv(env, 'MEMBERS_IMPORT_CONCURRENCY', 8)),
  };
}

// ------------------------------------------------------------------ deauthorize and messages

/**
 * The LINE Login channel used for deauthorize (and friendship status): `LINE_LOGIN_CHANNEL_ID`,
 * default the first of `LINE_CHANNEL_ID`. Its secret is `LINE_CHANNEL_SECRET` (read with
 * {@link readSecret}).
 */
export function loadLineLoginChannelId(env: Env = process.env): string {
  return (
    optionalEnv(env, 'LINE_LOGIN_CHANNEL_ID') ??
    listEnv(env, 'LINE_CHANNEL_ID')[0] ??
    requireEnv(env, 'LINE_CHANNEL_ID')
  );
}

/**
 * The Messaging API channel (`LINE_MESSAGING_CHANNEL_ID`; its secret `LINE_MESSAGING_CHANNEL_SECRET`
 * is read with {@link readSecret}) and the job queue (`MESSAGE_QUEUE_URL`: SQS in the cloud; unset
 * locally, where batches run in the API process).
 */
export interface MessagingConfig {
  channelId: string;
  apiBase: string;
  queueUrl?: string;
  timeoutMs: number;
}

export function loadMessagingConfig(env: Env = process.env): MessagingConfig {
  return {
    channelId: requireEnv(
      env,
      'LINE_MESSAGING_CHANNEL_ID',
      'the Messaging API channel, needed to send messages',
    ),
    apiBase: secureUrl(optionalEnv(env, 'LINE_API_BASE', 'https://api.line.me'), 'LINE_API_BASE'),
    queueUrl: optionalEnv(env, 'MESSAGE_QUEUE_URL'),
    timeoutMs: intEnv(env, 'MESSAGE_SEND_TIMEOUT_MS', 10_000),
  };
}
