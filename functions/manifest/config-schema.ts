import * as z from 'zod/mini';
import {
  DEFAULT_ATTEMPT_LIMITS,
  DEFAULT_FAILURE_DEADLINE_MS,
  DEFAULT_GLOBAL_SLOWDOWN_MS,
} from '../core/attempt-policy.js';
import {
  BOT_LANGUAGES,
  botTextOverridesProblem,
  linkOfferProblem,
  type BotLanguage,
  type BotTexts,
} from '../core/bot-texts.js';
import { isMemberFactor, MEMBER_FACTOR_NAMES, type MemberFactor } from '../core/member-factors.js';

/**
 * The configuration schema: every environment variable the functions read, with its one
 * description and its one zod rule. `functions/config.ts` checks it at cold start and
 * `lib/settings.ts` at synth time, so the same bad value gives the same message in both places
 * (`VARIABLE_NAME <problem>.`).
 *
 * ## Adding a variable: one entry
 *
 * ```ts
 * // in VARIABLES below
 * MY_TIMEOUT_MS: variable('what it is for, as a deployer reads it', positiveInt, { default: '500' }),
 * ```
 *
 * then read it where it is used, in `functions/config.ts`: `read(env, 'MY_TIMEOUT_MS')` (typed,
 * validated, default applied; `undefined` when unset without default) or
 * `need(env, 'MY_TIMEOUT_MS', 'why it is needed')` (throws naming it when unset). For a deployed
 * function, list it in a settings group of `lib/settings.ts` (`SETTINGS_GROUPS`) and, when a
 * deployment must give it, in `REQUIRED_WITH` of deployment-schema.ts: synth then checks it too.
 *
 * Rules are built from the small vocabulary below (`text`, `digits`, `positiveInt`, `bool`,
 * `oneOf`, `secureUrl`, `list`, …); a value is trimmed and a blank value counts as unset before
 * the rule runs. Rules that relate two variables are in {@link CROSS_CHECKS}. A secret's value
 * is never a variable: it is `NAME` locally or Secrets Manager through `NAME_ARN` (see
 * {@link SECRET_NAMES}; `config.ts` `readSecret`).
 */

// ------------------------------------------------------------------ rule vocabulary

/** What a rule returns when the value breaks it: the problem, worded to follow the variable name. */
export class Problem {
  constructor(readonly message: string) {}
}

/** A rule whose failure message is computed from the value: `parse` returns the value or a {@link Problem}. */
export function refined<T>(parse: (raw: string) => T | Problem) {
  return z.pipe(
    z.string(),
    z.transform((raw: string, ctx) => {
      const result = parse(raw);
      if (result instanceof Problem) {
        ctx.issues.push({ code: 'custom', message: result.message, input: raw });
        return z.NEVER;
      }
      return result;
    }),
  );
}

/** Any non-blank text. */
export const text = z.string();

/** A decimal number such as a LINE channel ID. */
export const digits = z
  .string()
  .check(z.regex(/^\d+$/, { error: (i) => `must be digits only, got "${String(i.input)}"` }));

/** An integer ≥ 1. */
export const positiveInt = z.pipe(
  z
    .string()
    .check(z.regex(/^[1-9]\d*$/, { error: (i) => `must be a positive integer, got "${String(i.input)}"` })),
  z.transform(Number),
);

/** `true` or `false`, in any case. */
export const bool = refined((raw) =>
  /^(true|false)$/i.test(raw) ? /^true$/i.test(raw) : new Problem(`must be "true" or "false", got "${raw}"`),
);

/** One of fixed values. */
export function oneOf<const V extends readonly [string, ...string[]]>(values: V) {
  return z.enum(values, {
    error: (i) => `must be one of ${values.join(', ')}, got "${String(i.input)}"`,
  });
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for `localhost`, `127.0.0.0/8` and `::1`: the only hosts allowed over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function secureUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `must be an absolute URL, got "${raw}"`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))
    return 'must use https (http is accepted only for loopback hosts)';
  if (url.username || url.password) return 'must not contain userinfo';
  return undefined;
}

/** An https URL (http only on loopback hosts: emulators, tests), no userinfo; kept verbatim. */
export const secureUrlVerbatim = refined((raw) => {
  const problem = secureUrlProblem(raw);
  return problem ? new Problem(problem) : raw;
});

/** Like {@link secureUrlVerbatim}, returned without a trailing slash so paths can be appended. */
export const secureUrl = z.pipe(
  secureUrlVerbatim,
  z.transform((raw: string) => raw.replace(/\/+$/, '')),
);

/** Any absolute http(s) URL (an endpoint override such as DynamoDB Local on another host). */
export const httpUrl = refined((raw) => {
  try {
    const url = new URL(raw);
    if (url.protocol === 'https:' || url.protocol === 'http:') return raw;
  } catch {
    // reported below
  }
  return new Problem(`must be an absolute http(s) URL, got "${raw}"`);
});

/** A comma-separated list of `item`; blanks dropped; at least one entry. */
export function list<T>(item: z.ZodMiniType<T, string>, what = 'entry') {
  return z.pipe(
    z.pipe(
      z.string(),
      z.transform((raw: string) =>
        raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ),
    z.array(item).check(z.minLength(1, { error: `must list at least one ${what}` })),
  );
}

/** An exact origin (`https://app.example`; http only on loopback). */
export const origin = refined((raw) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return new Problem(`entry "${raw}" is not an origin`);
  }
  if (url.origin !== raw) return new Problem(`entry "${raw}" must be an exact origin like ${url.origin}`);
  const problem = secureUrlProblem(raw);
  return problem ? new Problem(`entry "${raw}" ${problem}`) : raw;
});

/** The default link keywords: what a user types in the chat to get the linking URL. */
export const DEFAULT_LINK_KEYWORDS = ['link', '連携'];

/** The default unlink keywords: what a user types in the chat to unlink. */
export const DEFAULT_UNLINK_KEYWORDS = ['unlink', '連携解除'];

// ------------------------------------------------------------------ the variables

/** One variable: its description (shown by synth and in errors) and its rule. */
export interface Variable<T> {
  readonly description: string;
  readonly schema: z.ZodMiniType<T, string>;
  /** Applied at cold start when the variable is unset (synth passes only what is given). */
  readonly default?: string;
  /** What happens when it is unset and has no default, for the README (`npm run docs:config`). */
  readonly whenUnset?: string;
}

function variable<T, const O extends { default?: string; whenUnset?: string } = Record<never, never>>(
  description: string,
  schema: z.ZodMiniType<T, string>,
  options?: O,
): Variable<T> & O {
  return { description, schema, ...options } as Variable<T> & O;
}

const returnUrl = refined((raw) => {
  const problem = secureUrlProblem(raw);
  if (problem) return new Problem(problem);
  const url = new URL(raw);
  if (url.hash) return new Problem(`entry "${raw}" must not contain a fragment`);
  return url.href;
});

const LANGUAGE_TAGS = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*( [A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)*$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const tableName = z
  .string()
  .check(z.regex(TABLE_NAME, { error: (i) => `must be a DynamoDB table name, got "${String(i.input)}"` }));

/** A rich menu ID as LINE issues it (`richmenu-` and 32 hex digits). */
const richMenuId = z.string().check(
  z.regex(/^richmenu-[0-9a-f]{32}$/, {
    error: (i) => `must be a rich menu ID (richmenu- and 32 hex digits), got "${String(i.input)}"`,
  }),
);

export const VARIABLES = {
  // LINE
  LINE_CHANNEL_ID: variable(
    "comma-separated LINE Login / LIFF / LINE MINI App channel IDs whose tokens are accepted (a MINI App has three; a token's `aud` or `client_id` must be one)",
    list(digits, 'channel ID'),
  ),
  LINE_LOGIN_CHANNEL_ID: variable('the web-login channel, one of LINE_CHANNEL_ID', digits, {
    whenUnset: 'the first of `LINE_CHANNEL_ID`',
  }),
  LINE_MESSAGING_CHANNEL_ID: variable(
    'the Messaging API channel of the LINE Official Account: webhook signatures and channel access tokens',
    digits,
    { whenUnset: 'no webhook and no messages' },
  ),
  LINE_UNFOLLOW_UNLINKS: variable(
    'true: an unfollow (block) also removes the link; false: the link stays, with `friend: false`',
    bool,
    { default: 'false' },
  ),
  LINE_LINK_KEYWORDS: variable(
    'comma-separated chat texts that make the bot send the linking URL (`none`: no keyword)',
    refined((raw) => {
      const keywords = raw
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean);
      return keywords.filter((k) => k !== 'none');
    }),
    { default: DEFAULT_LINK_KEYWORDS.join(',') },
  ),
  LINE_LINK_POSTBACK_DATA: variable(
    'comma-separated postback data values that make the bot send the linking URL',
    list(text, 'postback data value'),
    { whenUnset: 'none' },
  ),
  WEBHOOK_EVENT_TTL_SECONDS: variable(
    'seconds a processed `webhookEventId` is remembered; an event dated earlier than that is ignored and audited',
    positiveInt,
    {
      default: String(7 * 24 * 3600),
    },
  ),
  LINE_UNLINK_KEYWORDS: variable(
    'comma-separated texts that make the bot offer to unlink, asking for confirmation (none: no keyword)',
    refined((raw) =>
      raw
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter((k) => k && k !== 'none'),
    ),
    { default: DEFAULT_UNLINK_KEYWORDS.join(',') },
  ),
  LINE_UNLINK_POSTBACK_DATA: variable(
    'comma-separated postback data values that make the bot offer to unlink (e.g. from the "linked" rich menu)',
    list(text, 'postback data value'),
    { whenUnset: "none (`npm start`: `action=unlink`, the demo menu's)" },
  ),
  LINE_BOT_LANGUAGE: variable("the language of the bot's default texts: ja or en", oneOf(BOT_LANGUAGES), {
    default: 'en',
  }),
  LINE_BOT_TEXTS: variable(
    "JSON object replacing some of the bot's texts, keyed by text name (docs/webhook.md lists them)",
    refined((raw): Partial<BotTexts> | Problem => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return new Problem('must be a JSON object');
      }
      const problem = botTextOverridesProblem(parsed);
      return problem ? new Problem(problem) : (parsed as Partial<BotTexts>);
    }),
  ),
  WEBHOOK_CLOCK_SKEW_SECONDS: variable(
    'how far in the future a webhook event may be dated (seconds after its receipt) before it is ignored and audited',
    positiveInt,
    { default: '60' },
  ),
  LINE_BOT_USER_ID: variable(
    "the bot's user ID (`userId` of GET /v2/bot/info): webhook deliveries whose `destination` differs are ignored",
    z.string().check(
      z.regex(/^U[0-9a-f]{32}$/, {
        error: (i) => `must be a LINE bot user ID (U + 32 hex digits), got "${String(i.input)}"`,
      }),
    ),
    { whenUnset: 'learned from `GET /v2/bot/info`' },
  ),
  ACCOUNT_LINK_NONCE_TTL_SECONDS: variable(
    'lifetime of an account-link nonce in seconds (at most 3600)',
    refined((raw) => {
      if (!/^[1-9]\d*$/.test(raw)) return new Problem(`must be a positive integer, got "${raw}"`);
      const seconds = Number(raw);
      return seconds > 3600 ? new Problem('must be at most 3600') : seconds;
    }),
    { default: '600' },
  ),
  // The verified-token cache (functions/adapters/line/cached-line-token-verifier.ts).
  LINE_TOKEN_CACHE_SIZE: variable('verified LINE tokens kept per function instance (LRU)', positiveInt, {
    default: '1000',
  }),
  LINE_ID_TOKEN_CACHE_MAX_SECONDS: variable(
    'longest a verified LINE ID token is reused, never past its `exp` (bounds a JWKS key removal)',
    positiveInt,
    { default: '300' },
  ),
  LINE_ACCESS_TOKEN_CACHE_SECONDS: variable(
    'how long a verified LINE access token is reused, never past its `expires_in` (LINE can revoke access tokens)',
    positiveInt,
    { default: '60' },
  ),
  LINE_API_BASE: variable(
    'LINE API origin (token, verify, profile, certificates, Messaging API)',
    secureUrl,
    { default: 'https://api.line.me' },
  ),
  LINE_AUTH_BASE: variable('LINE authorization origin (the web login)', secureUrl, {
    default: 'https://access.line.me',
  }),
  LINE_API_DATA_BASE: variable(
    "LINE's data API origin, where `npm run richmenu -- apply` uploads menu images",
    secureUrl,
    {
      default: 'https://api-data.line.me',
    },
  ),
  // Compared verbatim with the token's `iss`, so not normalized.
  LINE_ISSUER: variable('expected `iss` of LINE ID tokens', secureUrlVerbatim, {
    default: 'https://access.line.me',
  }),
  RICH_MENU_LINKED_ID: variable('the rich menu linked to a LINE user when a link is made', richMenuId, {
    whenUnset: 'the per-user menu is removed, so the default shows (`npm start`: a demo menu)',
  }),
  RICH_MENU_UNLINKED_ID: variable(
    'the rich menu linked to a LINE user when a link is removed; with neither menu set, menus are never switched',
    richMenuId,
    { whenUnset: 'the per-user menu is removed, so the default shows (`npm start`: a demo menu)' },
  ),
  // Company IdP (patterns oidc and web)
  COMPANY_OIDC_ISSUER: variable(
    'the company IdP issuer; its discovery document gives the JWKS and endpoints',
    secureUrlVerbatim,
  ),
  COMPANY_OIDC_CLIENT_ID: variable("this service's client ID at the company IdP", text),
  COMPANY_ID_TOKEN_MAX_AGE_SECONDS: variable(
    '`POST /links`: the oldest company sign-in (`auth_time`, else `iat`) accepted, in seconds; each company token links one LINE user',
    positiveInt,
    { default: '600' },
  ),
  COMPANY_ACCESS_TOKEN_CHECK: variable(
    'POST /links companyAccessToken: checked by a signed UserInfo response whose aud is our client (userinfo), by RFC 7662 introspection (introspection), or refused (off)',
    oneOf(['userinfo', 'introspection', 'off']),
    { default: 'userinfo' },
  ),
  LINE_REQUIRE_NONCE: variable(
    'POST /links requires a LINE ID token whose nonce claim is an unused nonce from POST /links/nonce (app logins; LIFF cannot carry one)',
    bool,
    { default: 'false' },
  ),
  LINK_NONCE_TTL_SECONDS: variable(
    'lifetime of a nonce from POST /links/nonce in seconds (at most 3600)',
    refined((raw) => {
      if (!/^[1-9]\d*$/.test(raw)) return new Problem(`must be a positive integer, got "${raw}"`);
      const seconds = Number(raw);
      return seconds > 3600 ? new Problem('must be at most 3600') : seconds;
    }),
    { default: '600' },
  ),
  // Web flow
  PUBLIC_BASE_URL: variable(
    "this API's public origin, optionally with a path; redirect URIs and the linking URL are built from it",
    z.pipe(
      secureUrl,
      refined((raw) => {
        const url = new URL(raw);
        return url.search || url.hash
          ? new Problem('must be an origin with an optional path: no query, fragment or userinfo')
          : raw;
      }),
    ),
    { whenUnset: "set by the API stack: the custom domain, else the API's own URL" },
  ),
  APP_RETURN_URLS: variable(
    'comma-separated allowlist of post-login return URLs (exact match; the first is the default)',
    list(returnUrl, 'URL'),
  ),
  LINE_BOT_PROMPT: variable(
    'web login: offer to add the LINE Official Account as a friend (`normal` or `aggressive`)',
    oneOf(['normal', 'aggressive']),
  ),
  LINE_PROMPT: variable("web login: `consent` always shows LINE's consent screen", oneOf(['consent'])),
  LINE_UI_LOCALES: variable(
    "web login: language(s) of LINE's screens, space-separated tags (`ja en-US`)",
    z.string().check(
      z.regex(LANGUAGE_TAGS, {
        error: (i) => `must be space-separated language tags (e.g. "ja en-US"), got "${String(i.input)}"`,
      }),
    ),
  ),
  LINE_DISABLE_AUTO_LOGIN: variable(
    'web login: `true` never logs in automatically (sends `disable_auto_login=true`)',
    bool,
    { default: 'false' },
  ),
  COMPANY_OIDC_SCOPES: variable(
    'web flow: scopes asked of the company IdP, space-separated, including `openid`',
    refined((raw) => {
      const scopes = raw.split(/\s+/).filter(Boolean);
      return scopes.includes('openid') && scopes.every((s) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))
        ? scopes.join(' ')
        : new Problem('must be space-separated scopes including "openid"');
    }),
    { default: 'openid' },
  ),
  COMPANY_OIDC_TOKEN_AUTH_METHOD: variable(
    'web flow: client authentication at the company token endpoint (`private_key_jwt`: a JWT signed with COMPANY_OIDC_PRIVATE_KEY, RFC 7523)',
    oneOf(['client_secret_basic', 'client_secret_post', 'private_key_jwt']),
    { default: 'client_secret_basic' },
  ),
  COMPANY_OIDC_MAX_AGE: variable(
    'web flow: seconds a company sign-in may be old when linking (sent as `max_age`, `auth_time` checked)',
    positiveInt,
    { whenUnset: 'the IdP decides' },
  ),
  CORS_ALLOWED_ORIGINS: variable(
    'comma-separated exact origins of the LIFF / web front end',
    list(origin, 'origin'),
    {
      whenUnset: 'no CORS',
    },
  ),
  // Member data (patterns api and record)
  MEMBER_FACTORS: variable(
    `factors the user types besides the member number (and the CSV holds), from ${MEMBER_FACTOR_NAMES.join(', ')}`,
    refined((raw) => {
      const names = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const factors: MemberFactor[] = [];
      for (const name of names) {
        if (!isMemberFactor(name))
          return new Problem(`has unknown factor "${name}"; use ${MEMBER_FACTOR_NAMES.join(', ')}`);
        if (factors.includes(name)) return new Problem(`lists "${name}" twice`);
        factors.push(name);
      }
      return factors.length ? factors : new Problem('must list at least one factor');
    }),
    { default: 'birthDate,postalCode' },
  ),
  ATTEMPTS_PER_MEMBER: variable(
    'guessing protection: failures per member per window before that member locks (429)',
    positiveInt,
    {
      default: String(DEFAULT_ATTEMPT_LIMITS.perMember),
    },
  ),
  ATTEMPTS_PER_LINE_USER: variable(
    'guessing protection: failures per LINE user per window before that LINE user locks (429)',
    positiveInt,
    {
      default: String(DEFAULT_ATTEMPT_LIMITS.perLineUser),
    },
  ),
  ATTEMPTS_GLOBAL: variable(
    'guessing protection: failures service-wide per window above which failed answers are slowed down and alerted on; never a lock',
    positiveInt,
    {
      default: String(DEFAULT_ATTEMPT_LIMITS.global),
    },
  ),
  ATTEMPTS_WINDOW_SECONDS: variable(
    "guessing protection: the counting window in seconds (and the first lock's length)",
    positiveInt,
    {
      default: String(DEFAULT_ATTEMPT_LIMITS.windowSeconds),
    },
  ),
  ATTEMPTS_PER_ADDRESS: variable(
    'guessing protection: failures per client address per window before that address locks (429)',
    positiveInt,
    {
      default: String(DEFAULT_ATTEMPT_LIMITS.perAddress),
    },
  ),
  ATTEMPTS_GLOBAL_SHARDS: variable(
    'guessing protection: DynamoDB items the service-wide failure count is spread over',
    positiveInt,
    { default: String(DEFAULT_ATTEMPT_LIMITS.globalShards) },
  ),
  ATTEMPTS_GLOBAL_SLOWDOWN_MS: variable(
    'guessing protection: extra delay of failed answers while over ATTEMPTS_GLOBAL',
    positiveInt,
    { default: String(DEFAULT_GLOBAL_SLOWDOWN_MS) },
  ),
  COMPANY_API_FAILURE_DEADLINE_MS: variable(
    'pattern api: fixed time after the request at which every failed attempt is answered',
    positiveInt,
    { default: String(DEFAULT_FAILURE_DEADLINE_MS) },
  ),
  COMPANY_API_URL: variable("the company's member verification endpoint (pattern api)", secureUrl),
  COMPANY_API_AUTH: variable(
    'how the service authenticates to the company API: `oauth` (client credentials) or `api-key`',
    oneOf(['oauth', 'api-key']),
    {
      default: 'oauth',
    },
  ),
  COMPANY_API_TOKEN_URL: variable(
    'the OAuth token endpoint for the company API (COMPANY_API_AUTH=oauth)',
    secureUrl,
  ),
  COMPANY_API_CLIENT_ID: variable('the OAuth client ID for the company API (COMPANY_API_AUTH=oauth)', text),
  COMPANY_API_SCOPE: variable('OAuth scope requested for the company API (COMPANY_API_AUTH=oauth)', text, {
    whenUnset: 'no scope',
  }),
  COMPANY_API_KEY_HEADER: variable(
    'header carrying the company API key (COMPANY_API_AUTH=api-key)',
    refined((raw) => {
      const header = raw.toLowerCase();
      return /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(header) && header !== 'host' && header !== 'content-type'
        ? header
        : new Problem(`must be a header name, got "${raw}"`);
    }),
    { default: 'x-api-key' },
  ),
  MEMBERS_IMPORT_DELETE_MISSING: variable(
    'S3 import: each file is the complete member list (true) or an update (false)',
    bool,
    { default: 'false' },
  ),
  MEMBERS_IMPORT_CONCURRENCY: variable('S3 import: DynamoDB requests in flight (at most 64)', positiveInt, {
    default: '8',
  }),
  // Runtime
  OUTBOUND_TIMEOUT_MS: variable(
    'timeout of every call to LINE, the company IdP and the company API, in milliseconds (message sends: MESSAGE_SEND_TIMEOUT_MS)',
    positiveInt,
    {
      default: '3000',
    },
  ),
  DYNAMODB_ENDPOINT: variable('DynamoDB endpoint override: a local engine (never set in Lambda)', httpUrl, {
    whenUnset: "the region's AWS endpoint",
  }),
  LINKS_TABLE: variable('name of the links table (set by the API stack)', tableName, {
    default: 'line-id-link-links',
  }),
  SESSIONS_TABLE: variable('name of the web-login sessions table (set by the API stack)', tableName, {
    default: 'line-id-link-sessions',
  }),
  MEMBERS_TABLE: variable('name of the imported members table (set by the API stack)', tableName, {
    default: 'line-id-link-members',
  }),
  ATTEMPTS_TABLE: variable('name of the attempt counters table (set by the API stack)', tableName, {
    default: 'line-id-link-attempts',
  }),
  AUDIT_TABLE: variable('name of the audit trail table (set by the API stack)', tableName, {
    default: 'line-id-link-audit',
  }),
  MESSAGE_JOBS_TABLE: variable(
    'name of the message jobs table: `POST /admin/messages`, idempotency keys (set by the API stack)',
    tableName,
    {
      default: 'line-id-link-message-jobs',
    },
  ),
  MESSAGE_QUEUE_URL: variable('SQS queue of message-job batches (set by the API stack)', httpUrl, {
    whenUnset: 'batches run in the API process',
  }),
  AUDIENCE_QUEUE_URL: variable(
    'SQS queue of audience jobs (set by the API stack; unset: jobs run in the API process)',
    httpUrl,
  ),
  WEBHOOK_QUEUE_URL: variable(
    "SQS queue of the webhook's LINE work, replies and link tokens (set by the API stack)",
    httpUrl,
    { whenUnset: 'done in the API process after the answer' },
  ),
  LINK_EVENT_BUS_NAME: variable(
    'the EventBridge bus link events are published to (set by the API stack)',
    z.string().check(
      z.regex(/^[A-Za-z0-9._\-/]{1,256}$/, {
        error: (i) => `must be an EventBridge bus name, got "${String(i.input)}"`,
      }),
    ),
    { whenUnset: 'none (the API stack sets it for the link stream function)' },
  ),
  MESSAGE_SEND_TIMEOUT_MS: variable(
    'timeout of one Messaging API send (push, multicast) in milliseconds',
    positiveInt,
    {
      default: '10000',
    },
  ),
  MESSAGING_TABLE: variable(
    'name of the Messaging API table: event claims, nonces, link tokens, friendships (set by the API stack)',
    tableName,
    {
      default: 'line-id-link-messaging',
    },
  ),
  API_ROUTES: variable(
    'the deployed routes, "METHOD /path" comma-separated (set by the API stack)',
    list(
      z.string().check(
        z.regex(/^(GET|POST|PUT|PATCH|DELETE) \/\S*$/, {
          error: (i) => `entry "${String(i.input)}" must be "METHOD /path"`,
        }),
      ),
      'route',
    ),
    { whenUnset: 'all routes' },
  ),
  AUDIT_RETENTION_DAYS: variable('days audit events are kept before DynamoDB TTL removes them', positiveInt, {
    whenUnset: 'kept forever',
  }),
  POWERTOOLS_TRACE_ENABLED: variable(
    'X-Ray tracing in Lambda (set by the API stack from TRACING_ENABLED)',
    bool,
    { default: 'true' },
  ),
  POWERTOOLS_SERVICE_NAME: variable('service name in logs and metrics', text, { default: 'line-id-link' }),
  POWERTOOLS_METRICS_NAMESPACE: variable(
    'CloudWatch namespace of the business metrics (set by the API stack from METRICS_NAMESPACE)',
    text,
    {
      default: 'LineIdLink',
    },
  ),
  // Command lines
  EXPORT_BUCKET: variable(
    '`npm run export -- --s3`: the bucket of the export (the `ExportBucketName` stack output)',
    z.string().check(
      z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
        error: (i) => `must be an S3 bucket name, got "${String(i.input)}"`,
      }),
    ),
  ),
} as const satisfies Record<string, Variable<unknown>>;

export type VariableName = keyof typeof VARIABLES;
/** The parsed value of a variable. */
export type VariableValue<N extends VariableName> =
  (typeof VARIABLES)[N] extends Variable<infer T> ? T : never;

/** The secrets: `NAME` locally, `NAME_ARN` (a Secrets Manager ARN) in Lambda. */
export const SECRET_NAMES = [
  'LINE_CHANNEL_SECRET',
  'LINE_MESSAGING_CHANNEL_SECRET',
  'COMPANY_OIDC_CLIENT_SECRET',
  'COMPANY_OIDC_PRIVATE_KEY',
  'MEMBER_HASH_PEPPER',
  'COMPANY_API_CLIENT_SECRET',
  'COMPANY_API_KEY',
] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** The rule of a `NAME_ARN` variable: the complete ARN of a Secrets Manager secret. */
export const secretArn = z.string().check(
  z.regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/, {
    error: 'must be the complete ARN of a Secrets Manager secret (ending in -XXXXXX)',
  }),
);

// ------------------------------------------------------------------ checking

/** A variable's value, trimmed; blank counts as unset. */
export function rawValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Validates one given value: the parsed value, or the message (`NAME <problem>.`). */
export function checkVariable<N extends VariableName>(
  name: N,
  raw: string,
): { ok: true; value: VariableValue<N> } | { ok: false; message: string } {
  const result = (VARIABLES[name].schema as z.ZodMiniType<unknown, string>).safeParse(raw);
  if (result.success) return { ok: true, value: result.data as VariableValue<N> };
  return { ok: false, message: `${name} ${result.error.issues[0]?.message ?? 'is not valid'}.` };
}

/** Validates a `NAME_ARN` value of a secret. */
export function checkSecretArn(name: `${SecretName}_ARN`, raw: string): string | undefined {
  const result = secretArn.safeParse(raw);
  return result.success ? undefined : `${name} ${result.error.issues[0]?.message ?? 'is not valid'}.`;
}

/**
 * Rules that relate variables to each other; each gets the raw (trimmed, non-blank) values and
 * returns a message when broken. Checked by `config.ts` and `lib/settings.ts` alike.
 */
export const CROSS_CHECKS: ReadonlyArray<
  (raw: (name: VariableName) => string | undefined) => string | undefined
> = [
  (raw) => {
    const login = raw('LINE_LOGIN_CHANNEL_ID');
    const listed = raw('LINE_CHANNEL_ID');
    if (login === undefined || listed === undefined) return undefined;
    return listed
      .split(',')
      .map((s) => s.trim())
      .includes(login)
      ? undefined
      : `LINE_LOGIN_CHANNEL_ID must be one of LINE_CHANNEL_ID, got "${login}".`;
  },
  (raw) => {
    const texts = raw('LINE_BOT_TEXTS');
    if (texts === undefined) return undefined;
    const language = (raw('LINE_BOT_LANGUAGE') ?? 'en') as BotLanguage;
    if (!(BOT_LANGUAGES as readonly string[]).includes(language)) return undefined;
    let overrides: Partial<BotTexts>;
    try {
      overrides = JSON.parse(texts) as Partial<BotTexts>;
    } catch {
      return undefined;
    }
    if (botTextOverridesProblem(overrides)) return undefined;
    const problem = linkOfferProblem(language, overrides);
    return problem ? `LINE_BOT_TEXTS ${problem} (LINE_BOT_LANGUAGE ${language}).` : undefined;
  },
];
