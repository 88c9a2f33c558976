import {
  ConfigError,
  loadAttemptLimits,
  loadCompanyApiConfig,
  loadCompanyOidcConfig,
  loadCorsOrigins,
  loadLineConfig,
  loadMemberFactors,
  loadMemberImportSettings,
  loadWebConfig,
} from '../../functions/config.js';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { VARIABLES } from '../../functions/manifest/config-schema.js';
import { LOG_RETENTION_DAYS } from '../../functions/manifest/deployment-schema.js';
import { ROUTES } from '../../functions/manifest/routes.js';
import { PROJECT_ROOT } from '../../lib/bundling.js';
import { planDeployment } from '../../lib/plan.js';
import {
  contextKey,
  environmentFor,
  readSettings,
  routeEnabled,
  SettingsError,
  type Settings,
} from '../../lib/settings.js';

/** Settings from context values only (never this machine's environment). */
const fromContext = (context: Record<string, unknown>, env: Record<string, string> = {}): Settings =>
  readSettings({ context: (key) => context[key], env, cwd: PROJECT_ROOT });

const problems = (context: Record<string, unknown>, env: Record<string, string> = {}): string => {
  try {
    fromContext(context, env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message;
  }
  throw new Error('expected a SettingsError');
};

const LIFF = {
  linkPatterns: 'oidc',
  lineChannelId: '1234567890',
  companyOidcIssuer: 'https://idp.example.com',
  companyOidcClientId: 'c',
};

describe('deployment settings', () => {
  it('names every missing required setting, with its context key and variable', () => {
    const message = problems({});
    expect(message).toContain('LINE_CHANNEL_ID is missing');
    expect(message).toContain('context lineChannelId, or environment LINE_CHANNEL_ID');
    // The default patterns (oidc, web) need the company IdP and the return URLs.
    expect(message).toContain('COMPANY_OIDC_ISSUER is missing');
    expect(message).toContain('COMPANY_OIDC_CLIENT_ID is missing');
    expect(message).toContain('APP_RETURN_URLS is missing');
    expect(message).not.toContain('MEMBER_FACTORS');
  });

  it('asks for what each pattern needs, and only that', () => {
    expect(() => fromContext(LIFF)).not.toThrow();
    expect(problems({ ...LIFF, linkPatterns: 'record' })).toContain('MEMBER_FACTORS is missing');
    const api = problems({
      ...LIFF,
      linkPatterns: 'api',
      memberFactors: 'birthDate',
      companyApiAuth: 'oauth',
    });
    expect(api).toContain('COMPANY_API_URL is missing');
    expect(api).toContain('COMPANY_API_TOKEN_URL is missing');
    expect(api).toContain('COMPANY_API_CLIENT_ID is missing');
    const apiKey = problems({
      ...LIFF,
      linkPatterns: 'api',
      memberFactors: 'birthDate',
      companyApiAuth: 'api-key',
    });
    expect(apiKey).not.toContain('COMPANY_API_TOKEN_URL');
    expect(() =>
      fromContext({ lineChannelId: '1', linkPatterns: 'record', memberFactors: 'birthDate' }),
    ).not.toThrow();
  });

  it('insists on https URLs and exact origins', () => {
    expect(problems({ ...LIFF, lineApiBase: 'http://api.line.example' })).toContain(
      'LINE_API_BASE must use https',
    );
    expect(problems({ ...LIFF, companyOidcIssuer: 'idp.example.com' })).toContain(
      'COMPANY_OIDC_ISSUER must be an absolute URL',
    );
    expect(
      problems({ ...LIFF, linkPatterns: 'web', appReturnUrls: 'https://a.example/x,http://b.example/y' }),
    ).toContain('APP_RETURN_URLS must use https');
    expect(problems({ ...LIFF, corsAllowedOrigins: 'https://liff.example.com/app' })).toContain(
      'must be an exact origin',
    );
    expect(problems({ ...LIFF, publicBaseUrl: 'https://user:pw@api.example.com' })).toContain(
      'PUBLIC_BASE_URL must not contain userinfo',
    );
  });

  it('refuses unknown patterns, half a custom domain, partial secret ARNs and bad values', () => {
    expect(problems({ ...LIFF, linkPatterns: 'oidc,magic' })).toContain('unknown pattern(s) magic');
    expect(problems({ ...LIFF, domainName: 'link.example.com' })).toContain(
      'DOMAIN_NAME and CERTIFICATE_ARN go together',
    );
    expect(
      problems({
        ...LIFF,
        lineChannelSecretArn: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:line',
      }),
    ).toContain('LINE_CHANNEL_SECRET_ARN must be the complete ARN');
    expect(problems({ ...LIFF, lineChannelId: 'abc' })).toContain('LINE_CHANNEL_ID must be digits only');
    expect(problems({ ...LIFF, logRetentionDays: 31 })).toContain(
      'LOG_RETENTION_DAYS must be a CloudWatch Logs retention',
    );
    expect(problems({ ...LIFF, companyApiAuth: 'basic' })).toContain(
      'COMPANY_API_AUTH must be one of oauth, api-key',
    );
    expect(problems({ ...LIFF, logLevel: 'LOUD' })).toContain(
      'LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT',
    );
  });

  it.each([
    [
      'LINE_BOT_PROMPT',
      'lineBotPrompt',
      'always',
      'LINE_BOT_PROMPT must be one of normal, aggressive, got "always".',
    ],
    [
      'COMPANY_OIDC_TOKEN_AUTH_METHOD',
      'companyOidcTokenAuthMethod',
      'client_secret_jwt',
      'COMPANY_OIDC_TOKEN_AUTH_METHOD must be one of client_secret_basic, client_secret_post, private_key_jwt, got "client_secret_jwt".',
    ],
  ])('refuses a %s outside the schema’s list at synth', (name, key, value, message) => {
    expect(VARIABLES[name as keyof typeof VARIABLES]).toBeDefined();
    expect(problems({ ...LIFF, [key]: value })).toContain(message);
  });

  it('takes exactly the log retentions CloudWatch Logs (and CDK) know', () => {
    const cdk = Object.values(RetentionDays).filter((days): days is number => typeof days === 'number');
    expect([...LOG_RETENTION_DAYS].sort((a, b) => a - b)).toEqual(cdk.sort((a, b) => a - b));
    expect(fromContext({ ...LIFF, logRetentionDays: 3653 }).logRetention).toBe(3653);
  });

  it('takes several LINE channels (a LINE MINI App) and a login channel among them', () => {
    const miniApp = fromContext({
      ...LIFF,
      lineChannelId: ['2000000001', '2000000002', '2000000003'],
      lineLoginChannelId: '2000000003',
      lineMessagingChannelId: '2000000009',
    });
    expect(miniApp.values.LINE_CHANNEL_ID).toBe('2000000001,2000000002,2000000003');
    const env = environmentFor(miniApp, { groups: ['line'] });
    expect(env).toMatchObject({
      LINE_CHANNEL_ID: '2000000001,2000000002,2000000003',
      LINE_LOGIN_CHANNEL_ID: '2000000003',
      LINE_MESSAGING_CHANNEL_ID: '2000000009',
    });
    expect(problems({ ...LIFF, lineChannelId: '2000000001, x1' })).toContain(
      'LINE_CHANNEL_ID must be digits only, got "x1"',
    );
    expect(problems({ ...LIFF, lineChannelId: '2000000001', lineLoginChannelId: '2000000002' })).toContain(
      'LINE_LOGIN_CHANNEL_ID must be one of LINE_CHANNEL_ID',
    );
    expect(problems({ ...LIFF, lineMessagingChannelSecretArn: 'nope' })).toContain(
      'LINE_MESSAGING_CHANNEL_SECRET_ARN must be the complete ARN',
    );
  });

  it.each([
    ['LINE_CHANNEL_ID', '1234567890,abc', loadLineConfig],
    ['LINE_LOGIN_CHANNEL_ID', '999', loadLineConfig],
    ['LINE_API_BASE', 'http://api.line.example', loadLineConfig],
    ['OUTBOUND_TIMEOUT_MS', '0', loadLineConfig],
    ['COMPANY_OIDC_ISSUER', 'idp.example.com', loadCompanyOidcConfig],
    ['CORS_ALLOWED_ORIGINS', 'https://liff.example.com/app', loadCorsOrigins],
    ['APP_RETURN_URLS', 'https://a.example/#x', loadWebConfig],
    ['LINE_UI_LOCALES', 'ja,en', loadWebConfig],
    ['COMPANY_OIDC_TOKEN_AUTH_METHOD', 'client_secret_jwt', loadWebConfig],
    ['MEMBER_FACTORS', 'birthDate,shoeSize', loadMemberFactors],
    ['ATTEMPTS_GLOBAL', '-1', loadAttemptLimits],
    ['COMPANY_API_AUTH', 'basic', loadCompanyApiConfig],
    ['COMPANY_API_KEY_HEADER', 'Host', loadCompanyApiConfig],
    ['MEMBERS_IMPORT_DELETE_MISSING', 'yes', loadMemberImportSettings],
  ] as const)(
    'a bad %s (%s) fails synth and the cold start with the same message',
    (name, value, load: (env: Record<string, string>) => unknown) => {
      const valid = {
        LINE_CHANNEL_ID: '1234567890',
        COMPANY_OIDC_ISSUER: 'https://idp.example.com',
        COMPANY_OIDC_CLIENT_ID: 'c',
        PUBLIC_BASE_URL: 'https://api.example.com',
        APP_RETURN_URLS: 'https://app.example.com/linked',
        COMPANY_API_URL: 'https://api.example.com/verify',
        COMPANY_API_AUTH: 'api-key',
        COMPANY_API_KEY: 'k',
        MEMBER_FACTORS: 'birthDate',
      };
      const env = { ...valid, [name]: value };
      let coldStart = '';
      try {
        load(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        coldStart = (error as Error).message;
      }
      expect(coldStart).toMatch(new RegExp(`^${name} `));
      // Secrets are not settings: the synth side gets everything else.
      const settings = Object.fromEntries(Object.entries(env).filter(([key]) => key !== 'COMPANY_API_KEY'));
      let synth: readonly string[] = [];
      try {
        fromContext({ linkPatterns: 'oidc,web,api,record' }, { ...settings, [name]: value });
      } catch (error) {
        synth = (error as SettingsError).problems;
      }
      expect(synth).toContain(coldStart);
    },
  );

  it('reads context first, then the settings file, then the environment', () => {
    const env = {
      LINE_CHANNEL_ID: '111',
      COMPANY_OIDC_ISSUER: 'https://env.example.com',
      COMPANY_OIDC_CLIENT_ID: 'env',
    };
    const settings = fromContext({ linkPatterns: 'oidc', lineChannelId: '222' }, env);
    expect(settings.values.LINE_CHANNEL_ID).toBe('222');
    expect(settings.values.COMPANY_OIDC_ISSUER).toBe('https://env.example.com');
    const file = fromContext({ settings: 'deploy.example.json', lineChannelId: '333' }, env);
    expect(file.values.LINE_CHANNEL_ID).toBe('333');
    expect(file.values.COMPANY_OIDC_ISSUER).toBe('https://idp.example.com');
    expect(file.patterns).toEqual(new Set(['oidc', 'web', 'api', 'record']));
    expect(problems({ settings: 'no-such-file.json' })).toContain(
      'The settings file no-such-file.json could not be read',
    );
  });

  it('takes a stack prefix CloudFormation can name stacks with, and refuses others', () => {
    const longest = `L${'x'.repeat(118)}`;
    expect(fromContext({ ...LIFF, stackPrefix: longest }).stackPrefix).toBe(longest);
    expect(fromContext({ ...LIFF, stackPrefix: 'Line-Id-Link2' }).stackPrefix).toBe('Line-Id-Link2');
    for (const bad of [`${longest}x`, '1LineIdLink', 'Line_Id_Link', 'Line Id'])
      expect(problems({ ...LIFF, stackPrefix: bad })).toContain('STACK_PREFIX must be a letter followed by');
  });

  it('maps names to camelCase context keys', () => {
    expect(contextKey('LINE_CHANNEL_ID')).toBe('lineChannelId');
    expect(contextKey('COMPANY_API_CLIENT_SECRET_ARN')).toBe('companyApiClientSecretArn');
  });

  it('deploys the routes of the enabled patterns, and gives each function only its groups’ variables', () => {
    const liff = fromContext({ ...LIFF, corsAllowedOrigins: 'https://liff.example.com' });
    const deployed = ROUTES.filter((r) => routeEnabled(liff, r)).map((r) => `${r.method} ${r.path}`);
    expect(deployed).toContain('POST /links');
    expect(deployed).not.toContain('POST /links/by-api');
    expect(deployed.some((key) => key.includes('/auth/'))).toBe(false);
    expect(environmentFor(liff, { groups: ['line'] })).toEqual({
      LINE_CHANNEL_ID: '1234567890',
      CORS_ALLOWED_ORIGINS: 'https://liff.example.com',
    });
    expect(
      environmentFor(liff, { groups: ['web'], overrides: { PUBLIC_BASE_URL: 'https://x.example' } }),
    ).toMatchObject({
      PUBLIC_BASE_URL: 'https://x.example',
    });
  });

  it('plans only the secrets the deployed functions read', () => {
    const liff = planDeployment(fromContext(LIFF));
    // Every deployment: deauthorize on unlink (LINE Login channel secret) and erasure pseudonyms
    // (derived from the pepper); messages only with a Messaging API channel.
    expect([...liff.secrets].sort()).toEqual(['LINE_CHANNEL_SECRET', 'MEMBER_HASH_PEPPER'].sort());
    // POST /links authenticates at the company IdP only to introspect company access tokens.
    const introspecting = planDeployment(fromContext({ ...LIFF, companyAccessTokenCheck: 'introspection' }));
    expect([...introspecting.secrets].sort()).toEqual(
      ['COMPANY_OIDC_CLIENT_SECRET', 'LINE_CHANNEL_SECRET', 'MEMBER_HASH_PEPPER'].sort(),
    );
    const all = planDeployment(fromContext({ settings: 'deploy.example.json' }));
    expect([...all.secrets].sort()).toEqual(
      [
        'COMPANY_API_CLIENT_SECRET',
        'COMPANY_OIDC_CLIENT_SECRET',
        'LINE_CHANNEL_SECRET',
        'LINE_MESSAGING_CHANNEL_SECRET',
        'MEMBER_HASH_PEPPER',
      ].sort(),
    );
  });
});
