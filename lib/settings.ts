import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { RouteDefinition } from '../functions/handlers/routes.js';

/**
 * Deployment settings, read and validated once at synth time, so a mistake fails `cdk synth`
 * with a message naming the setting instead of failing a user's first request in the cloud.
 *
 * Every setting has one name in UPPER_SNAKE case (for the function settings, the environment
 * variable of DESIGN.md that the functions read) and is looked up, first found wins, in:
 *   1. CDK context under its camelCase name: `-c lineChannelId=1234567890`;
 *   2. the JSON file named by the context key `settings` (`-c settings=deploy.json`), under
 *      either name;
 *   3. the process environment under its UPPER_SNAKE name (`LINE_CHANNEL_ID=… cdk deploy`).
 */

export type SettingsGroup = RouteDefinition['settings'][number];
export type SecretName = RouteDefinition['secrets'][number];

/** The linking patterns a deployment offers; routes of patterns not listed are not deployed. */
export const LINK_PATTERNS = ['oidc', 'web', 'api', 'record'] as const;
export type LinkPattern = (typeof LINK_PATTERNS)[number];

/**
 * Settings groups (named by the routes manifest) → the patterns that enable them and the
 * environment variables a function of such a route receives. A route is deployed when all its
 * groups are enabled. Adding a group is one line here (and its variables in SETTING_SPECS).
 */
export const SETTINGS_GROUPS: Record<
  SettingsGroup,
  { enabledBy: readonly LinkPattern[] | 'always'; variables: readonly string[] }
> = {
  line: {
    enabledBy: 'always',
    variables: ['LINE_CHANNEL_ID', 'LINE_API_BASE', 'LINE_AUTH_BASE', 'LINE_ISSUER'],
  },
  'company-oidc': {
    enabledBy: ['oidc', 'web'],
    variables: ['COMPANY_OIDC_ISSUER', 'COMPANY_OIDC_CLIENT_ID'],
  },
  web: {
    enabledBy: ['web'],
    variables: [
      'PUBLIC_BASE_URL',
      'APP_RETURN_URLS',
      'LINE_BOT_PROMPT',
      'LINE_PROMPT',
      'LINE_UI_LOCALES',
      'LINE_DISABLE_AUTO_LOGIN',
      'COMPANY_OIDC_SCOPES',
      'COMPANY_OIDC_TOKEN_AUTH_METHOD',
    ],
  },
  'company-api': {
    enabledBy: ['api'],
    variables: [
      'COMPANY_API_URL',
      'COMPANY_API_AUTH',
      'COMPANY_API_TOKEN_URL',
      'COMPANY_API_CLIENT_ID',
      'COMPANY_API_SCOPE',
      'COMPANY_API_KEY_HEADER',
    ],
  },
  // Messages to members (admin API and the job worker).
  messaging: {
    enabledBy: 'always',
    variables: ['LINE_MESSAGING_CHANNEL_ID', 'LINE_API_BASE'],
  },
  // The member-data routes (patterns api and record): the factors asked and the guessing limits.
  'member-factors': {
    enabledBy: ['api', 'record'],
    variables: [
      'MEMBER_FACTORS',
      'ATTEMPTS_PER_MEMBER',
      'ATTEMPTS_PER_LINE_USER',
      'ATTEMPTS_GLOBAL',
      'ATTEMPTS_WINDOW_SECONDS',
    ],
  },
};

/** Variables every function receives when they are set. */
export const COMMON_VARIABLES = ['OUTBOUND_TIMEOUT_MS', 'CORS_ALLOWED_ORIGINS'] as const;

/** The Secrets Manager secrets, and when a deployment needs each one. */
export const SECRET_SPECS: Record<
  SecretName,
  { description: string; neededWhen?: (values: SettingValues) => boolean }
> = {
  LINE_CHANNEL_SECRET: {
    description: 'LINE Login channel secret (LINE Developers Console, channel "Basic settings").',
  },
  COMPANY_OIDC_CLIENT_SECRET: {
    description: "Client secret of this service's client at the company OpenID Connect IdP.",
  },
  MEMBER_HASH_PEPPER: {
    description:
      'Key of the HMAC over imported member factors. Generated at deploy and never needs setting; changing it invalidates every imported record.',
  },
  COMPANY_API_CLIENT_SECRET: {
    description: 'OAuth client secret for the company verification API (client credentials).',
    neededWhen: (values) => values.COMPANY_API_AUTH === 'oauth',
  },
  COMPANY_API_KEY: {
    description: 'API key for the company verification API.',
    neededWhen: (values) => values.COMPANY_API_AUTH === 'api-key',
  },
  LINE_MESSAGING_CHANNEL_SECRET: {
    description:
      'Messaging API channel secret (LINE Developers Console, channel "Basic settings"): issues channel access tokens for messages.',
  },
};

export type SettingValues = Readonly<Record<string, string | undefined>>;

type Kind =
  | 'text'
  | 'digits'
  | 'https-url'
  | 'https-url-list'
  | 'origin-list'
  | 'identifier-list'
  | 'positive-int'
  | 'boolean'
  | 'email'
  | 'hostname'
  | 'secret-arn'
  | 'certificate-arn'
  | 'topic-arn'
  | 'log-level'
  | 'log-retention'
  | 'patterns'
  | 'enum';

interface SettingSpec {
  /** UPPER_SNAKE name (the environment variable); the context key is its camelCase. */
  name: string;
  kind: Kind;
  description: string;
  default?: string;
  /** Allowed values of an `enum` setting. */
  values?: readonly string[];
  /** When the setting must be given (evaluated only after the patterns are known). */
  required?: (ctx: { values: SettingValues; patterns: ReadonlySet<LinkPattern> }) => boolean;
}

const anyOf =
  (...patterns: LinkPattern[]) =>
  (ctx: { patterns: ReadonlySet<LinkPattern> }) =>
    patterns.some((p) => ctx.patterns.has(p));

/** Every setting the CDK app reads. */
export const SETTING_SPECS: readonly SettingSpec[] = [
  {
    name: 'LINK_PATTERNS',
    kind: 'patterns',
    default: 'oidc,web',
    description: `linking patterns to deploy, a comma list of ${LINK_PATTERNS.join(', ')}`,
  },
  { name: 'LINE_CHANNEL_ID', kind: 'digits', required: () => true, description: 'the LINE Login channel ID' },
  { name: 'LINE_API_BASE', kind: 'https-url', description: 'LINE API origin' },
  { name: 'LINE_AUTH_BASE', kind: 'https-url', description: 'LINE authorization origin' },
  { name: 'LINE_ISSUER', kind: 'https-url', description: 'expected `iss` of LINE ID tokens' },
  // Messages to members and deauthorize (admin API).
  {
    name: 'LINE_MESSAGING_CHANNEL_ID',
    kind: 'digits',
    description: 'Messaging API channel of the LINE Official Account (messages to members)',
  },
  { name: 'LINE_LOGIN_CHANNEL_ID', kind: 'digits', description: 'LINE Login channel for deauthorize' },
  {
    name: 'COMPANY_OIDC_ISSUER',
    kind: 'https-url',
    required: anyOf('oidc', 'web'),
    description: 'the company IdP issuer (patterns oidc and web)',
  },
  {
    name: 'COMPANY_OIDC_CLIENT_ID',
    kind: 'text',
    required: anyOf('oidc', 'web'),
    description: 'the client ID at the company IdP (patterns oidc and web)',
  },
  {
    name: 'PUBLIC_BASE_URL',
    kind: 'https-url',
    description: "this API's public origin (default: the custom domain, else the API's own URL)",
  },
  {
    name: 'APP_RETURN_URLS',
    kind: 'https-url-list',
    required: anyOf('web'),
    description: 'allowed post-login return URLs (pattern web)',
  },
  {
    name: 'CORS_ALLOWED_ORIGINS',
    kind: 'origin-list',
    description: 'exact origins of the LIFF / web front end',
  },
  {
    name: 'COMPANY_API_URL',
    kind: 'https-url',
    required: anyOf('api'),
    description: 'the company verification API (pattern api)',
  },
  {
    name: 'COMPANY_API_AUTH',
    kind: 'enum',
    values: ['oauth', 'api-key'],
    required: anyOf('api'),
    description: 'how to authenticate to the company API',
  },
  {
    name: 'COMPANY_API_TOKEN_URL',
    kind: 'https-url',
    required: (ctx) => ctx.patterns.has('api') && ctx.values.COMPANY_API_AUTH === 'oauth',
    description: 'the OAuth token endpoint for the company API (COMPANY_API_AUTH=oauth)',
  },
  {
    name: 'COMPANY_API_CLIENT_ID',
    kind: 'text',
    required: (ctx) => ctx.patterns.has('api') && ctx.values.COMPANY_API_AUTH === 'oauth',
    description: 'the OAuth client ID for the company API (COMPANY_API_AUTH=oauth)',
  },
  { name: 'COMPANY_API_SCOPE', kind: 'text', description: 'OAuth scope requested for the company API' },
  { name: 'COMPANY_API_KEY_HEADER', kind: 'text', description: 'header carrying the company API key' },
  {
    name: 'LINE_BOT_PROMPT',
    kind: 'enum',
    values: ['normal', 'aggressive'],
    description: 'web login: offer to add the LINE Official Account',
  },
  {
    name: 'LINE_PROMPT',
    kind: 'enum',
    values: ['consent'],
    description: 'web login: always show the consent screen',
  },
  { name: 'LINE_UI_LOCALES', kind: 'text', description: 'web login: space-separated language tags' },
  { name: 'LINE_DISABLE_AUTO_LOGIN', kind: 'boolean', description: 'web login: never log in automatically' },
  {
    name: 'COMPANY_OIDC_SCOPES',
    kind: 'text',
    description: 'web flow: scopes asked of the company IdP (space-separated, with openid)',
  },
  {
    name: 'COMPANY_OIDC_TOKEN_AUTH_METHOD',
    kind: 'enum',
    values: ['client_secret_basic', 'client_secret_post'],
    description: 'web flow: client authentication at the company token endpoint',
  },
  {
    name: 'ATTEMPTS_PER_MEMBER',
    kind: 'positive-int',
    description: 'guessing protection: failures per member per window',
  },
  {
    name: 'ATTEMPTS_PER_LINE_USER',
    kind: 'positive-int',
    description: 'guessing protection: failures per LINE user per window',
  },
  {
    name: 'ATTEMPTS_GLOBAL',
    kind: 'positive-int',
    description: 'guessing protection: failures in all per window',
  },
  {
    name: 'ATTEMPTS_WINDOW_SECONDS',
    kind: 'positive-int',
    description: 'guessing protection: window length in seconds',
  },
  {
    name: 'MEMBER_FACTORS',
    kind: 'identifier-list',
    required: anyOf('api', 'record'),
    description: 'member factors users type, e.g. birthDate,postalCode (patterns api and record)',
  },
  {
    name: 'OUTBOUND_TIMEOUT_MS',
    kind: 'positive-int',
    description: 'timeout of outbound calls in milliseconds',
  },
  {
    name: 'MEMBERS_IMPORT_DELETE_MISSING',
    kind: 'boolean',
    description: 'S3 import: each file is the complete member list (true) or an update (false)',
  },
  {
    name: 'MEMBERS_IMPORT_CONCURRENCY',
    kind: 'positive-int',
    description: 'S3 import: DynamoDB requests in flight',
  },
  // Deployment-only settings (not passed to functions as such).
  {
    name: 'STACK_PREFIX',
    kind: 'text',
    default: 'LineIdLink',
    description: 'prefix of the stack names (one prefix per stage in an account)',
  },
  { name: 'DOMAIN_NAME', kind: 'hostname', description: 'custom domain of the API (with CERTIFICATE_ARN)' },
  {
    name: 'CERTIFICATE_ARN',
    kind: 'certificate-arn',
    description: 'ACM certificate of DOMAIN_NAME, in the stack region',
  },
  { name: 'ALARM_EMAIL', kind: 'email', description: 'e-mail address subscribed to the alarm topic' },
  {
    name: 'ALARM_TOPIC_ARN',
    kind: 'topic-arn',
    description: 'existing SNS topic for alarms (instead of creating one)',
  },
  {
    name: 'THROTTLE_RATE_LIMIT',
    kind: 'positive-int',
    default: '100',
    description: 'API stage steady-state requests per second',
  },
  {
    name: 'THROTTLE_BURST_LIMIT',
    kind: 'positive-int',
    default: '200',
    description: 'API stage burst requests',
  },
  {
    name: 'LOG_RETENTION_DAYS',
    kind: 'log-retention',
    default: '30',
    description: 'retention of function and access logs, in days',
  },
  {
    name: 'LOG_LEVEL',
    kind: 'log-level',
    default: 'INFO',
    description: 'function log level (POWERTOOLS_LOG_LEVEL)',
  },
  {
    name: 'METRICS_NAMESPACE',
    kind: 'text',
    default: 'LineIdLink',
    description: 'CloudWatch namespace of the business metrics',
  },
  // Existing secrets to use instead of creating them: `lineChannelSecretArn` and so on.
  ...(Object.keys(SECRET_SPECS) as SecretName[]).map((secret): SettingSpec => ({
    name: `${secret}_ARN`,
    kind: 'secret-arn',
    description: `existing Secrets Manager secret for ${secret}`,
  })),
];

/** The validated settings of one deployment. */
export interface Settings {
  /** Every setting given or defaulted, validated and trimmed, by UPPER_SNAKE name. */
  readonly values: SettingValues;
  readonly patterns: ReadonlySet<LinkPattern>;
  readonly stackPrefix: string;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logLevel: string;
  readonly logRetention: RetentionDays;
  readonly corsOrigins: readonly string[];
  readonly throttle: { rateLimit: number; burstLimit: number };
  readonly domain?: { name: string; certificateArn: string };
  readonly alarmEmail?: string;
  readonly alarmTopicArn?: string;
  /** Existing secrets by name (the others are created). */
  readonly secretArns: Partial<Record<SecretName, string>>;
}

/** A setting problem found at synth time; the message names every offending setting. */
export class SettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid deployment settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

/** `LINE_CHANNEL_ID` → `lineChannelId`. */
export function contextKey(name: string): string {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export interface SettingsSources {
  /** CDK context lookup (`app.node.tryGetContext`). */
  context: (key: string) => unknown;
  env?: Record<string, string | undefined>;
  /** Base directory of a relative settings file path. */
  cwd?: string;
}

/** Reads every setting from context, the settings file or the environment, and validates them. */
export function readSettings(sources: SettingsSources): Settings {
  const env = sources.env ?? process.env;
  const problems: string[] = [];
  const file = readSettingsFile(sources.context('settings'), sources.cwd ?? process.cwd(), problems);

  const raw: Record<string, string | undefined> = {};
  for (const spec of SETTING_SPECS) {
    const key = contextKey(spec.name);
    const value = [sources.context(key), file[key], file[spec.name], env[spec.name]]
      .map(asText)
      .find((v) => v !== undefined);
    raw[spec.name] = value ?? spec.default;
  }

  const values: Record<string, string | undefined> = {};
  for (const spec of SETTING_SPECS) {
    const value = raw[spec.name];
    if (value === undefined) continue;
    const problem = validate(spec, value);
    if (problem) problems.push(`${spec.name} ${problem} (${where(spec)}).`);
    else values[spec.name] = normalize(spec, value);
  }

  const patterns = new Set((values.LINK_PATTERNS ?? '').split(',').filter(Boolean) as LinkPattern[]);
  for (const spec of SETTING_SPECS) {
    if (raw[spec.name] === undefined && spec.required?.({ values, patterns })) {
      problems.push(`${spec.name} is missing: ${spec.description} (${where(spec)}).`);
    }
  }
  if (Boolean(values.DOMAIN_NAME) !== Boolean(values.CERTIFICATE_ARN)) {
    problems.push(
      'DOMAIN_NAME and CERTIFICATE_ARN go together: give both or neither (context domainName and certificateArn).',
    );
  }
  if (problems.length > 0) throw new SettingsError(problems);

  const secretArns: Partial<Record<SecretName, string>> = {};
  for (const secret of Object.keys(SECRET_SPECS) as SecretName[]) {
    const arn = values[`${secret}_ARN`];
    if (arn) secretArns[secret] = arn;
  }
  return {
    values,
    patterns,
    stackPrefix: values.STACK_PREFIX!,
    serviceName: 'line-id-link',
    metricsNamespace: values.METRICS_NAMESPACE!,
    logLevel: values.LOG_LEVEL!,
    logRetention: Number(values.LOG_RETENTION_DAYS) as RetentionDays,
    corsOrigins: list(values.CORS_ALLOWED_ORIGINS),
    throttle: {
      rateLimit: Number(values.THROTTLE_RATE_LIMIT),
      burstLimit: Number(values.THROTTLE_BURST_LIMIT),
    },
    domain: values.DOMAIN_NAME
      ? { name: values.DOMAIN_NAME, certificateArn: values.CERTIFICATE_ARN! }
      : undefined,
    alarmEmail: values.ALARM_EMAIL,
    alarmTopicArn: values.ALARM_TOPIC_ARN,
    secretArns,
  };
}

/** Is a settings group enabled by the deployment's patterns? */
export function groupEnabled(settings: Pick<Settings, 'patterns'>, group: SettingsGroup): boolean {
  const { enabledBy } = SETTINGS_GROUPS[group];
  return enabledBy === 'always' || enabledBy.some((p) => settings.patterns.has(p));
}

/** Is a route deployed? Only when every settings group it needs is enabled. */
export function routeEnabled(
  settings: Pick<Settings, 'patterns'>,
  route: Pick<RouteDefinition, 'settings'>,
): boolean {
  return route.settings.every((group) => groupEnabled(settings, group));
}

/** Does the deployment use this secret (given that some deployed function lists it)? */
export function secretNeeded(settings: Pick<Settings, 'values'>, secret: SecretName): boolean {
  return SECRET_SPECS[secret].neededWhen?.(settings.values) ?? true;
}

/**
 * The environment variables for a function using `groups` (and single `variables`): those that
 * have a value, plus the common ones. `overrides` supplies computed values (PUBLIC_BASE_URL's
 * default).
 */
export function environmentFor(
  settings: Pick<Settings, 'values'>,
  use: {
    groups: readonly SettingsGroup[];
    variables?: readonly string[];
    overrides?: Record<string, string>;
  },
): Record<string, string> {
  const values: SettingValues = { ...settings.values, ...use.overrides };
  const names = [
    ...COMMON_VARIABLES,
    ...use.groups.flatMap((group) => SETTINGS_GROUPS[group].variables),
    ...(use.variables ?? []),
  ];
  return Object.fromEntries(names.flatMap((name) => (values[name] ? [[name, values[name]!]] : [])));
}

function readSettingsFile(path: unknown, cwd: string, problems: string[]): Record<string, unknown> {
  if (path === undefined || path === null || path === '') return {};
  if (typeof path !== 'string') {
    problems.push('The context value "settings" must be the path of a JSON settings file.');
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(readFileSync(resolve(cwd, path), 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
    problems.push(`The settings file ${path} must hold one JSON object.`);
  } catch (error) {
    problems.push(`The settings file ${path} could not be read: ${(error as Error).message}`);
  }
  return {};
}

/** Context and file values may be strings, numbers, booleans or lists; blank means unset. */
function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = Array.isArray(value) ? value.map(String).join(',') : String(value);
  return text.trim() === '' ? undefined : text.trim();
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function where(spec: SettingSpec): string {
  return `context ${contextKey(spec.name)}, or environment ${spec.name}`;
}

function httpsProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute URL, got "${value}"`;
  }
  if (url.protocol !== 'https:') return `must use https, got "${value}"`;
  if (url.username || url.password) return 'must not carry credentials';
  return undefined;
}

function originProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `entry "${value}" is not an origin`;
  }
  if (url.origin !== value) return `entry "${value}" must be an exact origin like ${url.origin}`;
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    return `entry "${value}" must use https`;
  return undefined;
}

const POWERTOOLS_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];
const ARN_PARTITION = 'arn:aws[a-z-]*';

function validate(spec: SettingSpec, value: string): string | undefined {
  const items = list(value);
  switch (spec.kind) {
    case 'text':
      return undefined;
    case 'digits':
      return /^\d+$/.test(value) ? undefined : `must be digits only, got "${value}"`;
    case 'https-url':
      return httpsProblem(value);
    case 'https-url-list':
      if (items.length === 0) return 'must list at least one URL';
      return items.map(httpsProblem).find(Boolean);
    case 'origin-list':
      return items.map(originProblem).find(Boolean);
    case 'identifier-list':
      if (items.length === 0) return 'must list at least one name';
      return items.every((i) => /^[A-Za-z][A-Za-z0-9_]*$/.test(i))
        ? undefined
        : `must be a comma list of names, got "${value}"`;
    case 'positive-int':
      return /^[1-9]\d*$/.test(value) ? undefined : `must be a positive integer, got "${value}"`;
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : `must be true or false, got "${value}"`;
    case 'email':
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)
        ? undefined
        : `must be an e-mail address, got "${value}"`;
    case 'hostname':
      return /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/i.test(value)
        ? undefined
        : `must be a domain name, got "${value}"`;
    case 'secret-arn':
      return new RegExp(`^${ARN_PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:.+-[A-Za-z0-9]{6}$`).test(
        value,
      )
        ? undefined
        : 'must be the complete ARN of a Secrets Manager secret (ending in -XXXXXX)';
    case 'certificate-arn':
      return new RegExp(`^${ARN_PARTITION}:acm:[a-z0-9-]+:\\d{12}:certificate/[0-9a-f-]+$`).test(value)
        ? undefined
        : 'must be the ARN of an ACM certificate';
    case 'topic-arn':
      return new RegExp(`^${ARN_PARTITION}:sns:[a-z0-9-]+:\\d{12}:[\\w-]+$`).test(value)
        ? undefined
        : 'must be the ARN of an SNS topic';
    case 'log-level':
      return POWERTOOLS_LEVELS.includes(value.toUpperCase())
        ? undefined
        : `must be one of ${POWERTOOLS_LEVELS.join(', ')}`;
    case 'log-retention':
      return (Object.values(RetentionDays) as unknown[]).includes(Number(value))
        ? undefined
        : `must be a CloudWatch Logs retention in days (1, 3, 5, 7, 14, 30, 60, 90, 180, 365, …), got "${value}"`;
    case 'patterns': {
      const unknown = items.filter((p) => !(LINK_PATTERNS as readonly string[]).includes(p));
      if (items.length === 0) return `must list at least one of ${LINK_PATTERNS.join(', ')}`;
      return unknown.length
        ? `has unknown pattern(s) ${unknown.join(', ')}; known: ${LINK_PATTERNS.join(', ')}`
        : undefined;
    }
    case 'enum':
      return spec.values!.includes(value)
        ? undefined
        : `must be one of ${spec.values!.join(', ')}, got "${value}"`;
  }
}

function normalize(spec: SettingSpec, value: string): string {
  switch (spec.kind) {
    case 'https-url-list':
    case 'origin-list':
    case 'identifier-list':
    case 'patterns':
      return list(value).join(',');
    case 'log-level':
      return value.toUpperCase();
    default:
      return spec.name === 'PUBLIC_BASE_URL' ? value.replace(/\/+$/, '') : value;
  }
}
