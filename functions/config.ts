/**
 * The one place that reads configuration (DESIGN.md, "Configuration"). Handlers call these
 * loaders once at module scope, so a missing or malformed variable fails the cold start with a
 * message that names it, instead of failing a user's request later.
 *
 * The same names are used locally and in Lambda; secrets are read from `NAME` locally or from
 * AWS Secrets Manager through `NAME_ARN` in the cloud (see {@link readSecret}).
 */

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
    throw new ConfigError(`Environment variable ${name} must use https (http is accepted only for loopback hosts).`);
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
      throw new ConfigError(`CORS_ALLOWED_ORIGINS entry "${origin}" must be an exact origin like ${url.origin}.`);
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
