import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { FunctionDefinition } from '../functions/manifest/function-definition.js';
import {
  checkSecretArn,
  checkVariable,
  CROSS_CHECKS,
  VARIABLES,
  type SecretName as SchemaSecretName,
  type VariableName,
} from '../functions/manifest/config-schema.js';
import {
  checkDeploymentSetting,
  DEPLOYMENT_CROSS_CHECKS,
  DEPLOYMENT_SETTINGS,
  REQUIRED_WITH,
  type DeploymentSettingName,
  type LinkPattern,
  type Requirement,
} from '../functions/manifest/deployment-schema.js';

/**
 * Deployment settings, read and validated once at synth time, so a mistake fails `cdk synth`
 * with a message naming the setting instead of failing a user's first request in the cloud.
 *
 * Every setting has one name in UPPER_SNAKE case (for the function settings, the environment
 * variable that the functions read, listed in README.md, "Configuration") and is looked up, first
 * found wins, in:
 *   1. CDK context under its camelCase name: `-c lineChannelId=1234567890`;
 *   2. the JSON file named by the context key `settings` (`-c settings=deploy.json`), under
 *      either name;
 *   3. the process environment under its UPPER_SNAKE name (`LINE_CHANNEL_ID=… cdk deploy`).
 *
 * Every rule (a value's form, when a setting is required, how settings relate) is in the shared
 * schema: functions/manifest/config-schema.ts, which the functions check again at cold start,
 * and functions/manifest/deployment-schema.ts for what only a deployment has.
 */

export type SettingsGroup = FunctionDefinition['settings'][number];
export type SecretName = FunctionDefinition['secrets'][number] & SchemaSecretName;
export type { LinkPattern };

/**
 * Settings groups (named by the routes manifest) → the patterns that enable them and the
 * environment variables a function of such a route receives. A route is deployed when all its
 * groups are enabled. Adding a group is one line here (and its variables in SETTING_SPECS).
 */
export const SETTINGS_GROUPS: Record<
  SettingsGroup,
  {
    /** `always`, the patterns that enable it, or those patterns or a variable being set. */
    enabledBy:
      | readonly LinkPattern[]
      | 'always'
      | { patterns: readonly LinkPattern[]; orWhenSet: VariableName | readonly VariableName[] };
    variables: readonly string[];
  }
> = {
  line: {
    enabledBy: 'always',
    variables: [
      'LINE_CHANNEL_ID',
      'LINE_LOGIN_CHANNEL_ID',
      'LINE_MESSAGING_CHANNEL_ID',
      'LINE_API_BASE',
      'LINE_AUTH_BASE',
      'LINE_ISSUER',
      // verified-token cache
      'LINE_TOKEN_CACHE_SIZE',
      'LINE_ID_TOKEN_CACHE_MAX_SECONDS',
      'LINE_ACCESS_TOKEN_CACHE_SECONDS',
    ],
  },
  'company-oidc': {
    enabledBy: ['oidc', 'web'],
    variables: [
      'COMPANY_OIDC_ISSUER',
      'COMPANY_OIDC_CLIENT_ID',
      'COMPANY_ID_TOKEN_MAX_AGE_SECONDS',
      // POST /links: company access tokens (introspection authenticates as the web flow does)
      'COMPANY_ACCESS_TOKEN_CHECK',
      'COMPANY_OIDC_TOKEN_AUTH_METHOD',
      // POST /links/nonce and POST /links: server-issued nonces of app logins
      'LINE_REQUIRE_NONCE',
      'LINK_NONCE_TTL_SECONDS',
    ],
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
      'COMPANY_OIDC_MAX_AGE',
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
  // Functions that append to the audit trail: how long its events are kept (unset: forever).
  audit: { enabledBy: 'always', variables: ['AUDIT_RETENTION_DAYS'] },
  // The LINE Official Account: the webhook (reachability, pattern 4's events) and messages to
  // members. Deployed with pattern 4, or whenever the Messaging API channel is given.
  messaging: {
    enabledBy: { patterns: ['account-link'], orWhenSet: 'LINE_MESSAGING_CHANNEL_ID' },
    variables: [
      'PUBLIC_BASE_URL',
      'LINE_MESSAGING_CHANNEL_ID',
      // The Messaging API's origin (functions/config.ts loadLineApiConfig); not the `line` group,
      // whose LINE Login channels these functions never use.
      'LINE_API_BASE',
      'LINE_UNFOLLOW_UNLINKS',
      'LINE_LINK_KEYWORDS',
      'LINE_LINK_POSTBACK_DATA',
      'LINE_UNLINK_KEYWORDS',
      'LINE_UNLINK_POSTBACK_DATA',
      'LINE_BOT_LANGUAGE',
      'LINE_BOT_TEXTS',
      'WEBHOOK_EVENT_TTL_SECONDS',
      'WEBHOOK_CLOCK_SKEW_SECONDS',
      'LINE_BOT_USER_ID',
      'ACCOUNT_LINK_NONCE_TTL_SECONDS',
    ],
  },
  // Rich menus switched per user by link status (the `rich-menu-stream` function): deployed when
  // either menu is named.
  'rich-menu': {
    enabledBy: { patterns: [], orWhenSet: ['RICH_MENU_LINKED_ID', 'RICH_MENU_UNLINKED_ID'] },
    variables: ['RICH_MENU_LINKED_ID', 'RICH_MENU_UNLINKED_ID'],
  },
  // Pattern 4's linking URL (LINE's account-link flow; the webhook consumes the nonces).
  'account-link': { enabledBy: ['account-link'], variables: ['ACCOUNT_LINK_NONCE_TTL_SECONDS'] },
  // The member-data routes (patterns api and record): the factors asked and the guessing limits.
  'member-factors': {
    enabledBy: ['api', 'record'],
    variables: [
      'MEMBER_FACTORS',
      'ATTEMPTS_PER_MEMBER',
      'ATTEMPTS_PER_LINE_USER',
      'ATTEMPTS_GLOBAL',
      'ATTEMPTS_WINDOW_SECONDS',
      'ATTEMPTS_PER_ADDRESS',
      'ATTEMPTS_GLOBAL_SHARDS',
      'ATTEMPTS_GLOBAL_SLOWDOWN_MS',
      'COMPANY_API_FAILURE_DEADLINE_MS',
    ],
  },
};

/** Variables every function receives when they are set. */
export const COMMON_VARIABLES = ['OUTBOUND_TIMEOUT_MS', 'CORS_ALLOWED_ORIGINS'] as const;

/** The Secrets Manager secrets, and when a deployment needs each one. */
export const SECRET_SPECS: Record<
  SecretName,
  {
    description: string;
    /** `users`: the handlers of the deployed functions that list the secret. */
    neededWhen?: (values: SettingValues, users: readonly string[]) => boolean;
  }
> = {
  LINE_CHANNEL_SECRET: {
    description:
      'Channel secret of the web-login channel LINE_LOGIN_CHANNEL_ID (LINE Developers Console, channel "Basic settings").',
  },
  LINE_MESSAGING_CHANNEL_SECRET: {
    description:
      'Channel secret of the Messaging API channel LINE_MESSAGING_CHANNEL_ID (webhook signatures, channel access tokens).',
  },
  COMPANY_OIDC_CLIENT_SECRET: {
    description: "Client secret of this service's client at the company OpenID Connect IdP.",
    neededWhen: (values, users) =>
      values.COMPANY_OIDC_TOKEN_AUTH_METHOD !== 'private_key_jwt' &&
      companyClientAuthenticates(values, users),
  },
  COMPANY_OIDC_PRIVATE_KEY: {
    description:
      'Private key (JWK JSON or PKCS#8 PEM) of private_key_jwt client authentication at the company IdP; register its public key there.',
    neededWhen: (values, users) =>
      values.COMPANY_OIDC_TOKEN_AUTH_METHOD === 'private_key_jwt' &&
      companyClientAuthenticates(values, users),
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
};

export type SettingValues = Readonly<Record<string, string | undefined>>;

/**
 * Whether a deployed function authenticates as the service's client at the company IdP: the web
 * flow's always, `POST /links` only to introspect company access tokens.
 */
function companyClientAuthenticates(values: SettingValues, users: readonly string[]): boolean {
  return (
    users.some((handler) => handler !== 'links-post') || values.COMPANY_ACCESS_TOKEN_CHECK === 'introspection'
  );
}

interface SettingSpec {
  /** UPPER_SNAKE name (the environment variable); the context key is its camelCase. */
  name: string;
  /** Where its rule is: a function variable, a deployment-only setting, or an existing secret's ARN. */
  rule: 'variable' | 'deployment' | 'secret-arn';
  description: string;
  default?: string;
  /** When the setting must be given (evaluated only after the patterns are known). */
  required?: Requirement;
}

/** Function variables the CDK app sets itself (table names, routes, …): not deployment settings. */
const SET_BY_THE_APP: ReadonlySet<VariableName> = new Set<VariableName>([
  'DYNAMODB_ENDPOINT',
  'LINKS_TABLE',
  'SESSIONS_TABLE',
  'MEMBERS_TABLE',
  'ATTEMPTS_TABLE',
  'AUDIT_TABLE',
  'MESSAGING_TABLE',
  'MESSAGE_JOBS_TABLE',
  'MESSAGE_QUEUE_URL',
  'AUDIENCE_QUEUE_URL',
  'WEBHOOK_QUEUE_URL',
  'LINK_EVENT_BUS_NAME',
  'API_ROUTES',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_TRACE_ENABLED',
]);

const deploymentSetting = (name: DeploymentSettingName): SettingSpec => ({
  name,
  rule: 'deployment',
  description: DEPLOYMENT_SETTINGS[name].description,
  ...('default' in DEPLOYMENT_SETTINGS[name] ? { default: DEPLOYMENT_SETTINGS[name].default } : {}),
});

/** Every setting the CDK app reads: the patterns, the function variables of the schema, then deployment-only ones. */
export const SETTING_SPECS: readonly SettingSpec[] = [
  deploymentSetting('LINK_PATTERNS'),
  ...(Object.keys(VARIABLES) as VariableName[])
    .filter((name) => !SET_BY_THE_APP.has(name))
    .map((name): SettingSpec => ({
      name,
      rule: 'variable',
      description: VARIABLES[name].description,
      ...(REQUIRED_WITH[name] ? { required: REQUIRED_WITH[name] } : {}),
    })),
  ...(Object.keys(DEPLOYMENT_SETTINGS) as DeploymentSettingName[])
    .filter((name) => name !== 'LINK_PATTERNS')
    .map(deploymentSetting),
  // Existing secrets to use instead of creating them: `lineChannelSecretArn` and so on.
  ...(Object.keys(SECRET_SPECS) as SecretName[]).map((secret): SettingSpec => ({
    name: `${secret}_ARN`,
    rule: 'secret-arn',
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
  /** Operations: X-Ray tracing on every function, PITR on the short-lived tables. */
  readonly operations?: { tracing: boolean; shortLivedTablesPitr: boolean };
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
    const checked = check(spec, value);
    if (checked.ok) values[spec.name] = checked.value;
    else problems.push(checked.message);
  }

  const patterns = new Set((values.LINK_PATTERNS ?? '').split(',').filter(Boolean) as LinkPattern[]);
  for (const spec of SETTING_SPECS) {
    if (raw[spec.name] === undefined && spec.required && requiredBy(spec.required, patterns, values)) {
      problems.push(`${spec.name} is missing: ${spec.description} (${where(spec)}).`);
    }
  }
  for (const crossCheck of [...CROSS_CHECKS, ...DEPLOYMENT_CROSS_CHECKS]) {
    const problem = crossCheck((name: string) => values[name]);
    if (problem) problems.push(problem);
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
    operations: {
      tracing: values.TRACING_ENABLED !== 'false',
      shortLivedTablesPitr: values.SHORT_LIVED_TABLES_PITR === 'true',
    },
  };
}

/** Is a settings group enabled by the deployment's patterns? */
export function groupEnabled(settings: Pick<Settings, 'patterns' | 'values'>, group: SettingsGroup): boolean {
  const { enabledBy } = SETTINGS_GROUPS[group];
  if (enabledBy === 'always') return true;
  if (Array.isArray(enabledBy)) return enabledBy.some((p) => settings.patterns.has(p));
  const { patterns, orWhenSet } = enabledBy as {
    patterns: readonly LinkPattern[];
    orWhenSet: VariableName | readonly VariableName[];
  };
  const variables: readonly VariableName[] = typeof orWhenSet === 'string' ? [orWhenSet] : orWhenSet;
  return (
    patterns.some((p) => settings.patterns.has(p)) || variables.some((name) => Boolean(settings.values[name]))
  );
}

/** Is a function (a route or an event function) deployed? Only when every settings group it needs is enabled. */
export function routeEnabled(
  settings: Pick<Settings, 'patterns' | 'values'>,
  route: Pick<FunctionDefinition, 'settings'>,
): boolean {
  return route.settings.every((group) => groupEnabled(settings, group));
}

/** Does the deployment use this secret, given the handlers of the deployed functions that list it? */
export function secretNeeded(
  settings: Pick<Settings, 'values'>,
  secret: SecretName,
  users: readonly string[] = [],
): boolean {
  return SECRET_SPECS[secret].neededWhen?.(settings.values, users) ?? true;
}

/**
 * The environment variables for a function using `groups` (and single `variables`): those that
 * have a value, plus the common ones unless `common` is false. `overrides` supplies computed
 * values (PUBLIC_BASE_URL's default, API_ROUTES).
 */
export function environmentFor(
  settings: Pick<Settings, 'values'>,
  use: {
    groups: readonly SettingsGroup[];
    variables?: readonly string[];
    overrides?: Readonly<Record<string, string | undefined>>;
    common?: boolean;
  },
): Record<string, string> {
  const values: SettingValues = { ...settings.values, ...use.overrides };
  const names = [
    ...(use.common === false ? [] : COMMON_VARIABLES),
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

function requiredBy(
  requirement: Requirement,
  patterns: ReadonlySet<LinkPattern>,
  values: SettingValues,
): boolean {
  return (
    requirement.patterns.some((p) => patterns.has(p)) && (requirement.when?.((name) => values[name]) ?? true)
  );
}

/**
 * A given value checked by its rule in the schema: the form the function will parse again (lists
 * comma-joined, URLs without a trailing slash), or the message. A function variable's and a
 * secret ARN's message is exactly the cold-start check's.
 */
function check(
  spec: SettingSpec,
  value: string,
): { ok: true; value: string } | { ok: false; message: string } {
  switch (spec.rule) {
    case 'variable': {
      const result = checkVariable(spec.name as VariableName, value);
      if (!result.ok) return result;
      const parsed: unknown = result.value;
      if (Array.isArray(parsed)) return { ok: true, value: parsed.join(',') };
      return { ok: true, value: typeof parsed === 'string' ? parsed : value };
    }
    case 'secret-arn': {
      const message = checkSecretArn(spec.name as `${SecretName}_ARN`, value);
      return message ? { ok: false, message } : { ok: true, value };
    }
    case 'deployment': {
      const result = checkDeploymentSetting(spec.name as DeploymentSettingName, value);
      if (!result.ok) return { ok: false, message: `${spec.name} ${result.problem} (${where(spec)}).` };
      return { ok: true, value: Array.isArray(result.value) ? result.value.join(',') : String(result.value) };
    }
  }
}
