import {
  bool,
  positiveInt,
  Problem,
  refined,
  text,
  type Variable,
  type VariableName,
} from './config-schema.js';
import * as z from 'zod/mini';

/**
 * The rules of a deployment that only the CDK app checks, at synth (lib/settings.ts), beside the
 * variables' own rules in config-schema.ts: which linking patterns exist, when a deployment must
 * give a variable, and the settings that shape the stacks rather than a function. No function
 * imports this file, so none of it is in a Lambda bundle.
 */

/** One setting: its description, its rule (config-schema.ts's vocabulary) and its default. */
function setting<T, const O extends { default?: string } = Record<never, never>>(
  description: string,
  schema: z.ZodMiniType<T, string>,
  options?: O,
): Variable<T> & O {
  return { description, schema, ...options } as Variable<T> & O;
}

/** The linking patterns a deployment offers; routes of patterns not listed are not deployed. */
export const LINK_PATTERNS = ['oidc', 'web', 'api', 'record', 'account-link'] as const;
export type LinkPattern = (typeof LINK_PATTERNS)[number];

/**
 * When a deployment must give a variable: with any of `patterns`, and, with `when`, only while
 * the other (valid) settings say so.
 */
export interface Requirement {
  readonly patterns: readonly LinkPattern[];
  readonly when?: (value: (name: string) => string | undefined) => boolean;
  /** `when` in words, for the README (`npm run docs:config`). */
  readonly condition?: string;
}

/**
 * The variables a deployment must give, and with which patterns (a variable not listed is
 * optional; its default, if any, applies at cold start).
 */
export const REQUIRED_WITH: Partial<Record<VariableName, Requirement>> = {
  LINE_CHANNEL_ID: { patterns: LINK_PATTERNS },
  COMPANY_OIDC_ISSUER: { patterns: ['oidc', 'web'] },
  COMPANY_OIDC_CLIENT_ID: { patterns: ['oidc', 'web'] },
  APP_RETURN_URLS: { patterns: ['web'] },
  COMPANY_API_URL: { patterns: ['api'] },
  // Its default serves local runs; a deployment says which one it uses.
  COMPANY_API_AUTH: { patterns: ['api'] },
  COMPANY_API_TOKEN_URL: {
    patterns: ['api'],
    when: (value) => value('COMPANY_API_AUTH') === 'oauth',
    condition: 'COMPANY_API_AUTH=oauth',
  },
  COMPANY_API_CLIENT_ID: {
    patterns: ['api'],
    when: (value) => value('COMPANY_API_AUTH') === 'oauth',
    condition: 'COMPANY_API_AUTH=oauth',
  },
  MEMBER_FACTORS: { patterns: ['api', 'record'] },
  LINE_MESSAGING_CHANNEL_ID: { patterns: ['account-link'] },
};

/**
 * CloudWatch Logs retentions, in days (PutRetentionPolicy's `retentionInDays`,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html),
 * and 9999: kept forever (CDK's `RetentionDays.INFINITE`, which sets no retention).
 */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
  9999,
] as const;

/** Powertools log levels (POWERTOOLS_LOG_LEVEL). */
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

const ARN_PARTITION = 'arn:aws[a-z-]*';

function matching(pattern: RegExp, problem: (raw: string) => string) {
  return refined((raw) => (pattern.test(raw) ? raw : new Problem(problem(raw))));
}

/**
 * The settings only the CDK app reads (they shape the stacks, no function reads them), each with
 * its description, its rule and its default. Given like the variables: CDK context, the settings
 * file or the environment (lib/settings.ts).
 */
export const DEPLOYMENT_SETTINGS = {
  LINK_PATTERNS: setting(
    `linking patterns to deploy, a comma list of ${LINK_PATTERNS.join(', ')}`,
    refined((raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (items.length === 0) return new Problem(`must list at least one of ${LINK_PATTERNS.join(', ')}`);
      const unknown = items.filter((p) => !(LINK_PATTERNS as readonly string[]).includes(p));
      return unknown.length
        ? new Problem(`has unknown pattern(s) ${unknown.join(', ')}; known: ${LINK_PATTERNS.join(', ')}`)
        : (items as LinkPattern[]);
    }),
    { default: 'oidc,web' },
  ),
  STACK_PREFIX: setting(
    'prefix of the stack names (one prefix per stage in an account)',
    // A stack name is a letter, then letters, digits and hyphens, 128 at most
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html);
    // the longest name built from the prefix adds `-Stateful`.
    matching(
      /^[A-Za-z][A-Za-z0-9-]{0,118}$/,
      (raw) =>
        `must be a letter followed by letters, digits and hyphens, at most 119 characters (stack names add "-Stateful"), got "${raw}"`,
    ),
    { default: 'LineIdLink' },
  ),
  DOMAIN_NAME: setting(
    'custom domain of the API (with CERTIFICATE_ARN)',
    matching(
      /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/i,
      (raw) => `must be a domain name, got "${raw}"`,
    ),
  ),
  CERTIFICATE_ARN: setting(
    'ACM certificate of DOMAIN_NAME, in the stack region',
    matching(
      new RegExp(`^${ARN_PARTITION}:acm:[a-z0-9-]+:\\d{12}:certificate/[0-9a-f-]+$`),
      () => 'must be the ARN of an ACM certificate',
    ),
  ),
  ALARM_EMAIL: setting(
    'e-mail address subscribed to the alarm topic',
    matching(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, (raw) => `must be an e-mail address, got "${raw}"`),
  ),
  ALARM_TOPIC_ARN: setting(
    'existing SNS topic for alarms (instead of creating one)',
    matching(
      new RegExp(`^${ARN_PARTITION}:sns:[a-z0-9-]+:\\d{12}:[\\w-]+$`),
      () => 'must be the ARN of an SNS topic',
    ),
  ),
  THROTTLE_RATE_LIMIT: setting('API stage steady-state requests per second', positiveInt, {
    default: '100',
  }),
  THROTTLE_BURST_LIMIT: setting('API stage burst requests', positiveInt, { default: '200' }),
  LOG_RETENTION_DAYS: setting(
    'retention of function and access logs, in days',
    refined((raw) =>
      (LOG_RETENTION_DAYS as readonly number[]).includes(Number(raw))
        ? Number(raw)
        : new Problem(
            `must be a CloudWatch Logs retention in days (1, 3, 5, 7, 14, 30, 60, 90, 180, 365, …), got "${raw}"`,
          ),
    ),
    { default: '30' },
  ),
  LOG_LEVEL: setting(
    'function log level (POWERTOOLS_LOG_LEVEL)',
    refined((raw) =>
      LOG_LEVELS.includes(raw.toUpperCase())
        ? raw.toUpperCase()
        : new Problem(`must be one of ${LOG_LEVELS.join(', ')}`),
    ),
    { default: 'INFO' },
  ),
  METRICS_NAMESPACE: setting('CloudWatch namespace of the business metrics', text, {
    default: 'LineIdLink',
  }),
  TRACING_ENABLED: setting('X-Ray tracing of every function (Powertools Tracer); false turns it off', bool, {
    default: 'true',
  }),
  SHORT_LIVED_TABLES_PITR: setting(
    'point-in-time recovery for the sessions and attempts tables, whose items expire within minutes to hours',
    bool,
    { default: 'false' },
  ),
} as const satisfies Record<string, Variable<unknown>>;

export type DeploymentSettingName = keyof typeof DEPLOYMENT_SETTINGS;

/**
 * Validates one given deployment setting: the parsed value, or the problem worded to follow its
 * name (as {@link checkVariable}, without the name).
 */
export function checkDeploymentSetting(
  name: DeploymentSettingName,
  raw: string,
): { ok: true; value: unknown } | { ok: false; problem: string } {
  const result = (DEPLOYMENT_SETTINGS[name].schema as z.ZodMiniType<unknown, string>).safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problem: result.error.issues[0]?.message ?? 'is not valid' };
}

/**
 * Rules that relate deployment settings to each other (raw, trimmed, valid values by name);
 * each returns a message when broken.
 */
export const DEPLOYMENT_CROSS_CHECKS: ReadonlyArray<
  (value: (name: string) => string | undefined) => string | undefined
> = [
  (value) =>
    Boolean(value('DOMAIN_NAME')) !== Boolean(value('CERTIFICATE_ARN'))
      ? 'DOMAIN_NAME and CERTIFICATE_ARN go together: give both or neither (context domainName and certificateArn).'
      : undefined,
  (value) => {
    const patterns = (value('LINK_PATTERNS') ?? '').split(',');
    return patterns.includes('account-link') && !patterns.includes('web')
      ? 'LINK_PATTERNS account-link needs web too: its linking URL runs the company sign-in of the web flow.'
      : undefined;
  },
  (value) =>
    (value('RICH_MENU_LINKED_ID') || value('RICH_MENU_UNLINKED_ID')) &&
    !value('LINE_MESSAGING_CHANNEL_ID') &&
    !(value('LINK_PATTERNS') ?? '').split(',').includes('account-link')
      ? 'RICH_MENU_LINKED_ID / RICH_MENU_UNLINKED_ID need the Messaging API channel: set LINE_MESSAGING_CHANNEL_ID too.'
      : undefined,
];
