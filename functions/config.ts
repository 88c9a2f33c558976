/**
 * The one place that reads configuration (README.md, "Configuration"): {@link readConfig} turns an
 * environment map, given explicitly by a composition root (Lambda's `process.env`, or the local
 * server's own map), into typed settings groups. The composition roots build their handlers at
 * cold start, so a missing or malformed variable fails the cold start with a message that names
 * it, instead of failing a user's request later.
 *
 * Every variable's rule and description are in `manifest/config-schema.ts` (shared with the synth-time
 * check in `lib/settings.ts`); the group parsers here only pick variables with {@link read} and
 * {@link need} and shape them for their adapters. Adding a variable: one entry in
 * `VARIABLES` (see the top of manifest/config-schema.ts), then `read(env, 'NAME')` in a group here.
 *
 * The same names are used locally and in Lambda; secrets are read from `NAME` locally or from
 * AWS Secrets Manager through `NAME_ARN` in the cloud (adapters/secrets/secret-reader.ts); this
 * module only checks that they are given.
 */

import {
  DEFAULT_ATTEMPT_LIMITS,
  DEFAULT_FAILURE_DEADLINE_MS,
  DEFAULT_GLOBAL_SLOWDOWN_MS,
  type AttemptLimits,
} from './core/attempt-policy.js';
import { botTexts, type BotTexts } from './core/bot-texts.js';
import type { MemberFactor } from './core/member-factors.js';
import type { CompanyApiConfig } from './adapters/company/company-verification-api-client.js';
import { TABLES, type TableKey } from './manifest/table-definitions.js';
import {
  checkSecretArn,
  checkVariable,
  CROSS_CHECKS,
  rawValue,
  VARIABLES,
  type SecretName,
  type VariableName,
  type VariableValue,
} from './manifest/config-schema.js';

export type { CompanyApiConfig };

/** A configuration problem, raised at cold start; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** An environment map: Lambda's `process.env`, or the map a local root or a test gives. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The validated value of a schema variable, its default when unset, or `undefined` when unset
 * without a default. @throws ConfigError naming the variable when the value breaks its rule.
 */
export function read<N extends VariableName>(
  env: Env,
  name: N,
): VariableValue<N> | (N extends keyof DefaultedVariables ? never : undefined) {
  const raw = rawValue(env, name) ?? (VARIABLES[name] as { default?: string }).default;
  if (raw === undefined) return undefined as never;
  const result = checkVariable(name, raw);
  if (!result.ok) throw new ConfigError(result.message);
  return result.value;
}

/** Variables that always have a value (a default). */
type DefaultedVariables = {
  [N in VariableName as (typeof VARIABLES)[N] extends { default: string } ? N : never]: true;
};

/** Like {@link read}, but a missing value fails too, naming the variable and why it is needed. */
export function need<N extends VariableName>(env: Env, name: N, why: string): VariableValue<N> {
  const value = read(env, name);
  if (value === undefined) throw new ConfigError(`Missing required environment variable ${name} (${why}).`);
  return value as VariableValue<N>;
}

/** Runs the schema's rules that relate variables to each other. */
function crossCheck(env: Env): void {
  for (const check of CROSS_CHECKS) {
    const message = check((name) => rawValue(env, name));
    if (message) throw new ConfigError(message);
  }
}

/** Insists that secret `name` is given, as `name` (local) or `name_ARN` (Lambda; a valid ARN). */
function requireSecret(env: Env, name: SecretName, context = ''): void {
  if (env[name]) return;
  const arn = rawValue(env, `${name}_ARN`);
  if (!arn)
    throw new ConfigError(`Missing required environment variable ${name} (or ${name}_ARN)${context}.`);
  const problem = checkSecretArn(`${name}_ARN`, arn);
  if (problem) throw new ConfigError(problem);
}

// ------------------------------------------------------------------ LINE

/**
 * Where the LINE Platform's APIs are and how long a call to them may take: `LINE_API_BASE` and
 * `OUTBOUND_TIMEOUT_MS`, nothing of the LINE Login channels. The Messaging API's functions (the
 * `messaging` settings group: sending to members, the job worker) read only this, so their
 * module scope needs no `LINE_CHANNEL_ID`, which their template does not give them.
 */
export interface LineApiConfig {
  apiBase: string;
  /** Timeout of every outbound call to LINE, in milliseconds. */
  timeoutMs: number;
}

export function loadLineApiConfig(env: Env): LineApiConfig {
  return { apiBase: read(env, 'LINE_API_BASE'), timeoutMs: read(env, 'OUTBOUND_TIMEOUT_MS') };
}

/** Settings of the LINE channels and the LINE Platform origins. */
export interface LineConfig extends LineApiConfig {
  /**
   * `LINE_CHANNEL_ID`: every LINE Login / LIFF / LINE MINI App channel whose tokens are accepted
   * (a MINI App has three: developing, review, published). All must belong to one LINE provider.
   */
  channelIds: string[];
  /** `LINE_LOGIN_CHANNEL_ID`: the channel of the web login (its secret is `LINE_CHANNEL_SECRET`). */
  loginChannelId: string;
  authBase: string;
  issuer: string;
}

export function loadLineConfig(env: Env): LineConfig {
  const channelIds = [
    ...new Set(
      need(env, 'LINE_CHANNEL_ID', 'the LINE channel IDs whose tokens are accepted, comma-separated'),
    ),
  ];
  crossCheck(env);
  return {
    channelIds,
    loginChannelId: read(env, 'LINE_LOGIN_CHANNEL_ID') ?? channelIds[0]!,
    ...loadLineApiConfig(env),
    authBase: read(env, 'LINE_AUTH_BASE'),
    issuer: read(env, 'LINE_ISSUER'),
  };
}

/** Limits of the verified-LINE-token cache (one per execution environment). */
export interface LineTokenCacheConfig {
  maxEntries: number;
  idTokenMaxTtlMs: number;
  accessTokenTtlMs: number;
}

/**
 * `LINE_TOKEN_CACHE_SIZE` (entries, default 1000), `LINE_ID_TOKEN_CACHE_MAX_SECONDS` (an ID
 * token's success is reused until its `exp`, at most this long; default 300) and
 * `LINE_ACCESS_TOKEN_CACHE_SECONDS` (default 60: LINE can revoke access tokens).
 */
export function loadLineTokenCacheConfig(env: Env): LineTokenCacheConfig {
  return {
    maxEntries: read(env, 'LINE_TOKEN_CACHE_SIZE'),
    idTokenMaxTtlMs: read(env, 'LINE_ID_TOKEN_CACHE_MAX_SECONDS') * 1000,
    accessTokenTtlMs: read(env, 'LINE_ACCESS_TOKEN_CACHE_SECONDS') * 1000,
  };
}

// ------------------------------------------------------------------ company IdP, CORS, secrets

/** Settings of the service's client at the company OpenID Connect IdP (pattern 1). */
export interface CompanyOidcConfig {
  issuer: string;
  clientId: string;
  timeoutMs: number;
}

export function loadCompanyOidcConfig(env: Env): CompanyOidcConfig {
  return {
    issuer: need(env, 'COMPANY_OIDC_ISSUER', 'the company IdP issuer, needed for pattern 1'),
    clientId: need(env, 'COMPANY_OIDC_CLIENT_ID', 'the client ID at the company IdP'),
    timeoutMs: read(env, 'OUTBOUND_TIMEOUT_MS'),
  };
}

/**
 * `COMPANY_ID_TOKEN_MAX_AGE_SECONDS` (default 600): the oldest company sign-in (`auth_time`, else
 * `iat`) that `POST /links` accepts, so a company ID token that leaked links nothing for long.
 */
export function loadCompanyIdTokenMaxAge(env: Env): number {
  return read(env, 'COMPANY_ID_TOKEN_MAX_AGE_SECONDS');
}

/** How `POST /links` checks a company access token, and how the service authenticates for it. */
export interface CompanyAccessTokenConfig {
  /**
   * `userinfo`: the discovery document's UserInfo endpoint, whose answer must be a signed JWT
   * (OIDC Core 5.3.2) naming our client in `aud` — a plain JSON answer cannot tell which client
   * the token was issued to. `introspection`: RFC 7662 at the discovery document's
   * `introspection_endpoint`. `off`: access tokens are refused.
   */
  check: 'userinfo' | 'introspection' | 'off';
  /** Client authentication at the introspection endpoint: the web flow's COMPANY_OIDC_TOKEN_AUTH_METHOD. */
  tokenAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
}

/** `COMPANY_ACCESS_TOKEN_CHECK` (default `userinfo`) and `COMPANY_OIDC_TOKEN_AUTH_METHOD`. */
export function loadCompanyAccessTokenConfig(env: Env): CompanyAccessTokenConfig {
  return {
    check: read(env, 'COMPANY_ACCESS_TOKEN_CHECK'),
    tokenAuthMethod: read(env, 'COMPANY_OIDC_TOKEN_AUTH_METHOD'),
  };
}

/** The server-issued nonces of app logins (`POST /links/nonce`, seed 001). */
export interface LinkNonceConfig {
  /** `LINE_REQUIRE_NONCE`: `POST /links` takes only a LINE ID token carrying an unused nonce. */
  required: boolean;
  /** `LINK_NONCE_TTL_SECONDS` (default 600, at most 3600). */
  ttlSeconds: number;
}

export function loadLinkNonceConfig(env: Env): LinkNonceConfig {
  return { required: read(env, 'LINE_REQUIRE_NONCE'), ttlSeconds: read(env, 'LINK_NONCE_TTL_SECONDS') };
}

/** Exact origins allowed to call the API from a browser. Empty: no CORS headers at all. */
export function loadCorsOrigins(env: Env): string[] {
  return read(env, 'CORS_ALLOWED_ORIGINS') ?? [];
}

// ------------------------------------------------------------------ member data (patterns 2 and 3)

/**
 * `MEMBER_FACTORS`: the factors the user must type besides the member number (its default is in
 * the schema). Used by both member-data routes and by the import (which requires these columns).
 */
export function loadMemberFactors(env: Env): MemberFactor[] {
  return read(env, 'MEMBER_FACTORS');
}

/** Shortest pepper accepted when it is given directly (a Secrets Manager value is checked when read). */
export const MIN_PEPPER_LENGTH = 16;

/**
 * Checks at cold start that the hashing pepper is configured (`MEMBER_HASH_PEPPER` locally,
 * `MEMBER_HASH_PEPPER_ARN` in Lambda); the value itself is read by the composition root's
 * secret reader, and checked against {@link MIN_PEPPER_LENGTH} by the hasher when read.
 */
export function checkMemberHashPepper(env: Env): void {
  const direct = env.MEMBER_HASH_PEPPER;
  if (direct !== undefined && direct !== '' && direct.length < MIN_PEPPER_LENGTH) {
    throw new ConfigError(`MEMBER_HASH_PEPPER must be at least ${MIN_PEPPER_LENGTH} characters.`);
  }
  requireSecret(env, 'MEMBER_HASH_PEPPER');
}

/** Pattern 3's pepper: given (checked by {@link checkMemberHashPepper}), and the rule its value follows. */
export interface MemberHashPepperConfig {
  /** The shortest pepper accepted, a Secrets Manager value included. */
  minLength: number;
}

export function loadMemberHashPepper(env: Env): MemberHashPepperConfig {
  checkMemberHashPepper(env);
  return { minLength: MIN_PEPPER_LENGTH };
}

/**
 * Guessing protection: `ATTEMPTS_PER_MEMBER`, `ATTEMPTS_PER_LINE_USER` and `ATTEMPTS_PER_ADDRESS`
 * attempts per window of `ATTEMPTS_WINDOW_SECONDS`; `ATTEMPTS_GLOBAL` failures per window
 * service-wide before failed answers are slowed down and alerted on, counted over
 * `ATTEMPTS_GLOBAL_SHARDS` items.
 */
export function loadAttemptLimits(env: Env): AttemptLimits {
  return {
    perMember: read(env, 'ATTEMPTS_PER_MEMBER') ?? DEFAULT_ATTEMPT_LIMITS.perMember,
    perLineUser: read(env, 'ATTEMPTS_PER_LINE_USER') ?? DEFAULT_ATTEMPT_LIMITS.perLineUser,
    perAddress: read(env, 'ATTEMPTS_PER_ADDRESS') ?? DEFAULT_ATTEMPT_LIMITS.perAddress,
    global: read(env, 'ATTEMPTS_GLOBAL') ?? DEFAULT_ATTEMPT_LIMITS.global,
    globalShards: read(env, 'ATTEMPTS_GLOBAL_SHARDS') ?? DEFAULT_ATTEMPT_LIMITS.globalShards,
    windowSeconds: read(env, 'ATTEMPTS_WINDOW_SECONDS') ?? DEFAULT_ATTEMPT_LIMITS.windowSeconds,
  };
}

// ------------------------------------------------------------------ member-data answer timing
/** When failed member-data attempts are answered (docs/member-data.md, "Timing"). */
export interface MemberAnswerTiming {
  /** `COMPANY_API_FAILURE_DEADLINE_MS` (2000): pattern 2's fixed answer time for anything but a link. */
  failureDeadlineMs: number;
  /** `ATTEMPTS_GLOBAL_SLOWDOWN_MS` (1000): added to failed answers while over `ATTEMPTS_GLOBAL`. */
  globalSlowdownMs: number;
}

export function loadMemberAnswerTiming(env: Env): MemberAnswerTiming {
  return {
    failureDeadlineMs: read(env, 'COMPANY_API_FAILURE_DEADLINE_MS') ?? DEFAULT_FAILURE_DEADLINE_MS,
    globalSlowdownMs: read(env, 'ATTEMPTS_GLOBAL_SLOWDOWN_MS') ?? DEFAULT_GLOBAL_SLOWDOWN_MS,
  };
}

/** Pattern 2 is on when `COMPANY_API_URL` is set (the rest of its settings are then required). */
export function companyApiConfigured(env: Env): boolean {
  return Boolean(env.COMPANY_API_URL?.trim());
}
/** Pattern 3 is on when the pepper of the imported records is set (`MEMBER_HASH_PEPPER` or `_ARN`). */
export function memberHashPepperConfigured(env: Env): boolean {
  return Boolean(env.MEMBER_HASH_PEPPER || env.MEMBER_HASH_PEPPER_ARN?.trim());
}
// ------------------------------------------------------------------ end member-data answer timing

/**
 * `COMPANY_API_URL` (the verification endpoint), `COMPANY_API_AUTH` = `oauth` (client
 * credentials at `COMPANY_API_TOKEN_URL` with `COMPANY_API_CLIENT_ID` /
 * `COMPANY_API_CLIENT_SECRET`, optional `COMPANY_API_SCOPE`) or `api-key` (`COMPANY_API_KEY`
 * sent in the `COMPANY_API_KEY_HEADER` header). The secrets may be given as `_ARN` in Lambda.
 */
export function loadCompanyApiConfig(env: Env): CompanyApiConfig {
  const url = need(env, 'COMPANY_API_URL', 'the company member verification endpoint, needed for pattern 2');
  const timeoutMs = read(env, 'OUTBOUND_TIMEOUT_MS');
  const auth = read(env, 'COMPANY_API_AUTH');
  if (auth === 'oauth') {
    const tokenUrl = need(env, 'COMPANY_API_TOKEN_URL', 'the token endpoint for COMPANY_API_AUTH=oauth');
    const clientId = need(env, 'COMPANY_API_CLIENT_ID', 'the client ID for COMPANY_API_AUTH=oauth');
    requireSecret(env, 'COMPANY_API_CLIENT_SECRET', ` for COMPANY_API_AUTH=${auth}`);
    const scope = read(env, 'COMPANY_API_SCOPE');
    return { url, timeoutMs, auth, tokenUrl, clientId, ...(scope ? { scope } : {}) };
  }
  const keyHeader = read(env, 'COMPANY_API_KEY_HEADER');
  requireSecret(env, 'COMPANY_API_KEY', ` for COMPANY_API_AUTH=${auth}`);
  return { url, timeoutMs, auth, keyHeader };
}

// ------------------------------------------------------------------ web flow

/** Settings of the web linking flow (the `web` settings group). */
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
    tokenAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
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
 *   `COMPANY_OIDC_TOKEN_AUTH_METHOD` (`client_secret_basic`, default, `client_secret_post`, or
 *   `private_key_jwt` with the key in the COMPANY_OIDC_PRIVATE_KEY secret).
 */
export function loadWebConfig(env: Env): WebConfig {
  const publicBaseUrl = need(env, 'PUBLIC_BASE_URL', 'the public origin of this API, for the web flow');
  const returnUrls = need(env, 'APP_RETURN_URLS', 'comma-separated return URLs allowed after the web flow');
  const base = new URL(publicBaseUrl);
  const botPrompt = read(env, 'LINE_BOT_PROMPT');
  const prompt = read(env, 'LINE_PROMPT');
  const uiLocales = read(env, 'LINE_UI_LOCALES');
  return {
    publicBaseUrl,
    returnUrls,
    secureCookies: base.protocol === 'https:',
    cookiePath: `${base.pathname.replace(/\/+$/, '')}/auth`,
    line: {
      ...(botPrompt ? { botPrompt } : {}),
      ...(prompt ? { prompt } : {}),
      ...(uiLocales ? { uiLocales } : {}),
      disableAutoLogin: read(env, 'LINE_DISABLE_AUTO_LOGIN'),
    },
    company: {
      scope: read(env, 'COMPANY_OIDC_SCOPES'),
      tokenAuthMethod: read(env, 'COMPANY_OIDC_TOKEN_AUTH_METHOD'),
    },
    sessionTtlSeconds: 600,
  };
}

// ------------------------------------------------------------------ member import

/** Settings of the S3-triggered member import (functions/handlers/members-import-s3.ts). */
export interface MemberImportSettings {
  /** `MEMBERS_IMPORT_DELETE_MISSING=true`: each file is the complete member list (default false). */
  deleteMissing: boolean;
  /** `MEMBERS_IMPORT_CONCURRENCY`: DynamoDB requests in flight (default 8, at most 64). */
  concurrency: number;
}

export function loadMemberImportSettings(env: Env): MemberImportSettings {
  return {
    deleteMissing: read(env, 'MEMBERS_IMPORT_DELETE_MISSING'),
    concurrency: Math.min(64, read(env, 'MEMBERS_IMPORT_CONCURRENCY')),
  };
}

// ------------------------------------------------------------------ runtime

/** The name of table `key` (`LINKS_TABLE`, …), or its local default. */
export function tableName(key: TableKey, env: Env): string {
  return read(env, TABLES[key].envVar);
}

/** Options of the DynamoDB client: `DYNAMODB_ENDPOINT` (a local engine) and the AWS region. */
export interface DynamoConfig {
  endpoint?: string;
  region?: string;
  /** True when a local endpoint is used without AWS credentials (static dummy ones then). */
  localCredentials: boolean;
  /**
   * The engine is a local one (`DYNAMODB_ENDPOINT`, or `AWS_ENDPOINT_URL` as the deployed-artifact
   * mode sets it): the client waits for it as long as a local engine needs.
   */
  localEngine: boolean;
}

export function loadDynamoConfig(env: Env): DynamoConfig {
  const endpoint = read(env, 'DYNAMODB_ENDPOINT');
  const region = rawValue(env, 'AWS_REGION') ?? rawValue(env, 'AWS_DEFAULT_REGION');
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    localCredentials: endpoint !== undefined && !rawValue(env, 'AWS_ACCESS_KEY_ID'),
    localEngine: endpoint !== undefined || rawValue(env, 'AWS_ENDPOINT_URL') !== undefined,
  };
}

/** `API_ROUTES` ("METHOD /path" entries, set by the API stack); empty locally (all routes). */
export function loadDeployedRoutes(env: Env): string[] {
  return read(env, 'API_ROUTES') ?? [];
}

/** Logs and metrics of the functions (Powertools). */
export interface ObservabilityConfig {
  /** `POWERTOOLS_SERVICE_NAME`: the `service` of every log line and metric. */
  serviceName: string;
  /** `POWERTOOLS_METRICS_NAMESPACE`: the CloudWatch namespace of the business metrics. */
  metricsNamespace: string;
  /** `POWERTOOLS_LOG_LEVEL` as given; unset: Powertools' own default. */
  logLevel?: string;
  /**
   * Whether business metrics are published: Powertools' own rule, `POWERTOOLS_METRICS_DISABLED`
   * when it is set, else off in Powertools' dev mode (`POWERTOOLS_DEV`, `npm start`).
   */
  metricsEnabled: boolean;
}

/** Powertools' reading of a boolean variable (`true`, `1`, `yes`, `on`…); undefined when unset or not one. */
function powertoolsFlag(env: Env, name: string): boolean | undefined {
  const value = rawValue(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (['1', 'y', 'yes', 't', 'true', 'on'].includes(value)) return true;
  if (['0', 'n', 'no', 'f', 'false', 'off'].includes(value)) return false;
  return undefined;
}

export function loadObservability(env: Env): ObservabilityConfig {
  const logLevel = rawValue(env, 'POWERTOOLS_LOG_LEVEL');
  return {
    serviceName: read(env, 'POWERTOOLS_SERVICE_NAME'),
    metricsNamespace: read(env, 'POWERTOOLS_METRICS_NAMESPACE'),
    ...(logLevel ? { logLevel } : {}),
    metricsEnabled: !(
      powertoolsFlag(env, 'POWERTOOLS_METRICS_DISABLED') ??
      powertoolsFlag(env, 'POWERTOOLS_DEV') ??
      false
    ),
  };
}

// ------------------------------------------------------------------ operations (tracing, audit retention)

/** Whether the functions trace with X-Ray (Powertools Tracer). */
export interface TracingConfig {
  enabled: boolean;
  serviceName: string;
}

/**
 * Tracing is on in Lambda unless `POWERTOOLS_TRACE_ENABLED=false` (the deployment's
 * TRACING_ENABLED setting); outside Lambda (`AWS_EXECUTION_ENV` unset: local server, tests,
 * benchmarks) there is no X-Ray daemon and the tracer is never loaded.
 */
export function loadTracingConfig(env: Env): TracingConfig {
  const inLambda = Boolean(rawValue(env, 'AWS_EXECUTION_ENV')) && !rawValue(env, 'AWS_SAM_LOCAL');
  return {
    enabled: inLambda && read(env, 'POWERTOOLS_TRACE_ENABLED'),
    serviceName: read(env, 'POWERTOOLS_SERVICE_NAME'),
  };
}

/**
 * `AUDIT_RETENTION_DAYS`: how long audit events are kept before DynamoDB's TTL removes them;
 * unset means forever (the default). Only events written while it is set carry an expiry.
 */
export function loadAuditRetentionDays(env: Env): number | undefined {
  return read(env, 'AUDIT_RETENTION_DAYS');
}

// ------------------------------------------------------------------ company OIDC client (web flow)

/**
 * `COMPANY_OIDC_MAX_AGE`: seconds a company sign-in may be old when the web flow links (sent as
 * `max_age`, the ID token's `auth_time` checked), so a company session left open on a shared
 * device cannot be linked to someone else's LINE account. Unset: the IdP decides.
 */
export function loadCompanyOidcMaxAge(env: Env): number | undefined {
  return read(env, 'COMPANY_OIDC_MAX_AGE');
}

// ------------------------------------------------------------------ Messaging API (webhook, pattern 4)

/** Settings of the LINE Official Account's Messaging API channel (the `messaging` settings group). */
export interface MessagingConfig {
  /** LINE_MESSAGING_CHANNEL_ID. The secret (LINE_MESSAGING_CHANNEL_SECRET[_ARN]) is read later. */
  channelId: string;
  /** LINE_UNFOLLOW_UNLINKS (default false): an unfollow also removes the link. */
  unlinkOnUnfollow: boolean;
  /** LINE_LINK_KEYWORDS: comma-separated texts that ask the bot for the linking URL (lower-cased). */
  linkKeywords: string[];
  /** LINE_LINK_POSTBACK_DATA: comma-separated postback `data` values that do the same. */
  linkPostbackData: string[];
  /** LINE_UNLINK_KEYWORDS: comma-separated texts that make the bot offer to unlink (lower-cased). */
  unlinkKeywords: string[];
  /** LINE_UNLINK_POSTBACK_DATA: comma-separated postback `data` values that do the same. */
  unlinkPostbackData: string[];
  /** LINE_BOT_LANGUAGE's default texts with LINE_BOT_TEXTS's overrides: everything the bot says. */
  botTexts: BotTexts;
  /** WEBHOOK_EVENT_TTL_SECONDS (default 7 days): how long processed event IDs are remembered. */
  webhookEventTtlSeconds: number;
  /** ACCOUNT_LINK_NONCE_TTL_SECONDS (default 600): lifetime of an account-link nonce. */
  nonceTtlSeconds: number;
  /** WEBHOOK_CLOCK_SKEW_SECONDS (default 60): how far in the future an event may be dated. */
  clockSkewSeconds: number;
  /** LINE_BOT_USER_ID: the bot's user ID, the webhook's expected `destination` (unset: learned from LINE). */
  botUserId?: string;
}

/** PUBLIC_BASE_URL alone (https, or http on loopback), for routes that need no other web setting. */
export function loadPublicBaseUrl(env: Env): string {
  return need(env, 'PUBLIC_BASE_URL', 'the public origin of this API, for the linking URL');
}

/** ACCOUNT_LINK_NONCE_TTL_SECONDS (default 600, at most 3600): lifetime of an account-link nonce. */
export function loadAccountLinkNonceTtl(env: Env): number {
  return read(env, 'ACCOUNT_LINK_NONCE_TTL_SECONDS');
}

/**
 * Loads the Messaging API settings: `LINE_MESSAGING_CHANNEL_ID` (required), the secret as
 * `LINE_MESSAGING_CHANNEL_SECRET` or `LINE_MESSAGING_CHANNEL_SECRET_ARN` (required),
 * `LINE_UNFOLLOW_UNLINKS`, `LINE_LINK_KEYWORDS` (`none` for no keyword), `LINE_LINK_POSTBACK_DATA`,
 * `LINE_UNLINK_KEYWORDS`, `LINE_UNLINK_POSTBACK_DATA`, `LINE_BOT_LANGUAGE`, `LINE_BOT_TEXTS`,
 * `WEBHOOK_EVENT_TTL_SECONDS`, `ACCOUNT_LINK_NONCE_TTL_SECONDS`.
 */
export function loadMessagingConfig(env: Env): MessagingConfig {
  const channelId = need(env, 'LINE_MESSAGING_CHANNEL_ID', 'the Messaging API channel ID');
  requireSecret(env, 'LINE_MESSAGING_CHANNEL_SECRET');
  crossCheck(env);
  return {
    channelId,
    unlinkOnUnfollow: read(env, 'LINE_UNFOLLOW_UNLINKS'),
    linkKeywords: read(env, 'LINE_LINK_KEYWORDS'),
    linkPostbackData: read(env, 'LINE_LINK_POSTBACK_DATA') ?? [],
    unlinkKeywords: read(env, 'LINE_UNLINK_KEYWORDS'),
    unlinkPostbackData: read(env, 'LINE_UNLINK_POSTBACK_DATA') ?? [],
    botTexts: botTexts(read(env, 'LINE_BOT_LANGUAGE'), read(env, 'LINE_BOT_TEXTS')),
    webhookEventTtlSeconds: read(env, 'WEBHOOK_EVENT_TTL_SECONDS'),
    nonceTtlSeconds: loadAccountLinkNonceTtl(env),
    clockSkewSeconds: read(env, 'WEBHOOK_CLOCK_SKEW_SECONDS'),
    ...(read(env, 'LINE_BOT_USER_ID') ? { botUserId: read(env, 'LINE_BOT_USER_ID') } : {}),
  };
}

/** `WEBHOOK_QUEUE_URL` (set by the API stack; unset locally: the webhook's LINE work runs in the API process). */
export function loadWebhookQueueUrl(env: Env): string | undefined {
  return read(env, 'WEBHOOK_QUEUE_URL') || undefined;
}

// ------------------------------------------------------------------ rich menus by link status

/** The rich menus switched per user when a link is made or removed (README.md, "Rich menus"). */
export interface RichMenuConfig {
  /** RICH_MENU_LINKED_ID: the menu of linked users (unset: their per-user menu is removed). */
  linkedId?: string;
  /** RICH_MENU_UNLINKED_ID: the menu of users whose link was removed (unset: likewise removed). */
  unlinkedId?: string;
  /** LINE_API_DATA_BASE: the data API's origin, where rich menu images are uploaded. */
  dataBase: string;
}

/** `RICH_MENU_LINKED_ID`, `RICH_MENU_UNLINKED_ID` (neither: no switching) and `LINE_API_DATA_BASE`. */
export function loadRichMenuConfig(env: Env): RichMenuConfig {
  const linkedId = read(env, 'RICH_MENU_LINKED_ID');
  const unlinkedId = read(env, 'RICH_MENU_UNLINKED_ID');
  return {
    ...(linkedId ? { linkedId } : {}),
    ...(unlinkedId ? { unlinkedId } : {}),
    dataBase: read(env, 'LINE_API_DATA_BASE'),
  };
}

// ------------------------------------------------------------------ messages to members

/** Sending messages: the job queue (unset locally: batches run in the API process) and the send timeout. */
export interface MessageSendConfig {
  queueUrl?: string;
  timeoutMs: number;
}

/** `MESSAGE_QUEUE_URL` (set by the API stack) and `MESSAGE_SEND_TIMEOUT_MS`. */
export function loadMessageSendConfig(env: Env): MessageSendConfig {
  const queueUrl = read(env, 'MESSAGE_QUEUE_URL');
  return { ...(queueUrl ? { queueUrl } : {}), timeoutMs: read(env, 'MESSAGE_SEND_TIMEOUT_MS') };
}

/** `AUDIENCE_QUEUE_URL` (set by the API stack): the audience job queue; unset locally (jobs run in the API process). */
export function loadAudienceQueueUrl(env: Env): string | undefined {
  return read(env, 'AUDIENCE_QUEUE_URL') || undefined;
}

/** `LINK_EVENT_BUS_NAME` (set by the API stack): the EventBridge bus link events are published to. */
export function loadLinkEventBusName(env: Env): string {
  return need(env, 'LINK_EVENT_BUS_NAME', 'the EventBridge bus of link events');
}

// ------------------------------------------------------------------ all of it

/**
 * Every settings group, each parsed from the environment on first use and then kept: a function
 * reads only the groups its handler needs, so one whose template leaves a group out (the
 * Messaging API worker has no LINE Login channel) never fails for it, while a missing or
 * malformed variable of a group it does read fails naming the variable.
 */
export interface Config {
  readonly line: LineConfig;
  /** LINE_API_BASE and the outbound timeout alone, without the LINE Login channels. */
  readonly lineApi: LineApiConfig;
  readonly lineTokenCache: LineTokenCacheConfig;
  readonly web: WebConfig;
  /** PUBLIC_BASE_URL alone, for routes that need no other web setting. */
  readonly publicBaseUrl: string;
  readonly companyOidc: CompanyOidcConfig;
  readonly companyIdTokenMaxAgeSeconds: number;
  readonly companyOidcMaxAge: number | undefined;
  readonly companyAccessToken: CompanyAccessTokenConfig;
  readonly linkNonce: LinkNonceConfig;
  /** Pattern 2's settings; fails when the pattern is off (see {@link Config.patterns}). */
  readonly companyApi: CompanyApiConfig;
  readonly messaging: MessagingConfig;
  readonly accountLinkNonceTtlSeconds: number;
  readonly webhookQueueUrl: string | undefined;
  readonly messageSend: MessageSendConfig;
  readonly audienceQueueUrl: string | undefined;
  readonly linkEventBusName: string;
  readonly richMenus: RichMenuConfig;
  readonly dynamo: DynamoConfig;
  /** Every table's name (each has a local default). */
  readonly tables: Readonly<Record<TableKey, string>>;
  readonly memberFactors: readonly MemberFactor[];
  /** Pattern 3's pepper; fails when the pattern is off (see {@link Config.patterns}). */
  readonly memberHashPepper: MemberHashPepperConfig;
  readonly memberImport: MemberImportSettings;
  readonly attempts: AttemptLimits;
  readonly memberAnswerTiming: MemberAnswerTiming;
  /** Which member-data patterns this deployment configures; an unconfigured one answers 501. */
  readonly patterns: { readonly companyApi: boolean; readonly memberRecords: boolean };
  readonly deployedRoutes: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly auditRetentionDays: number | undefined;
  readonly observability: ObservabilityConfig;
  readonly tracing: TracingConfig;
}

/** How each group is parsed. */
const GROUPS: { readonly [K in keyof Config]: (env: Env) => Config[K] } = {
  line: loadLineConfig,
  lineApi: loadLineApiConfig,
  lineTokenCache: loadLineTokenCacheConfig,
  web: loadWebConfig,
  publicBaseUrl: loadPublicBaseUrl,
  companyOidc: loadCompanyOidcConfig,
  companyIdTokenMaxAgeSeconds: loadCompanyIdTokenMaxAge,
  companyOidcMaxAge: loadCompanyOidcMaxAge,
  companyAccessToken: loadCompanyAccessTokenConfig,
  linkNonce: loadLinkNonceConfig,
  companyApi: loadCompanyApiConfig,
  messaging: loadMessagingConfig,
  accountLinkNonceTtlSeconds: loadAccountLinkNonceTtl,
  webhookQueueUrl: loadWebhookQueueUrl,
  messageSend: loadMessageSendConfig,
  audienceQueueUrl: loadAudienceQueueUrl,
  linkEventBusName: loadLinkEventBusName,
  richMenus: loadRichMenuConfig,
  dynamo: loadDynamoConfig,
  tables: (env) =>
    Object.fromEntries(
      (Object.keys(TABLES) as TableKey[]).map((key) => [key, tableName(key, env)]),
    ) as Record<TableKey, string>,
  memberFactors: loadMemberFactors,
  memberHashPepper: loadMemberHashPepper,
  memberImport: loadMemberImportSettings,
  attempts: loadAttemptLimits,
  memberAnswerTiming: loadMemberAnswerTiming,
  patterns: (env) => ({
    companyApi: companyApiConfigured(env),
    memberRecords: memberHashPepperConfigured(env),
  }),
  deployedRoutes: loadDeployedRoutes,
  corsOrigins: loadCorsOrigins,
  auditRetentionDays: loadAuditRetentionDays,
  observability: loadObservability,
  tracing: loadTracingConfig,
};

/**
 * The settings of `env`, each group parsed on first use and kept (a group that fails is parsed
 * again, and fails again, on its next use). `env` is read when a group is first used, not copied.
 */
export function readConfig(env: Env): Config {
  const config = {} as Config;
  for (const key of Object.keys(GROUPS) as Array<keyof Config>) {
    let parsed: { value: unknown } | undefined;
    Object.defineProperty(config, key, {
      enumerable: true,
      get: () => (parsed ??= { value: GROUPS[key](env) }).value,
    });
  }
  return Object.freeze(config);
}
