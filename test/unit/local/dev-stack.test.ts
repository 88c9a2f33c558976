import { readSettings } from '../../../lib/settings.js';
import {
  DEV_DEFAULTS,
  describePatterns,
  linkPatternsOf,
  synthSettings,
} from '../../../functions/local/dev-stack.js';

describe('npm start: which patterns are on', () => {
  test('names each pattern on or off, and the variable that turns an off one on', () => {
    const lines = describePatterns({
      COMPANY_OIDC_ISSUER: 'https://idp.example',
      MEMBER_HASH_PEPPER: 'x'.repeat(32),
    });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/Pattern 1 .* on$/);
    expect(lines[1]).toMatch(/Pattern 2 .*POST \/links\/by-api.* off \(set COMPANY_API_URL\)$/);
    expect(lines[2]).toMatch(/Pattern 3 .* on$/);
    expect(lines[3]).toMatch(/Pattern 4 .* off \(set LINE_MESSAGING_CHANNEL_ID\)$/);
    expect(describePatterns({ COMPANY_API_URL: 'https://api.example/verify' })[1]).toMatch(/ on$/);
    expect(describePatterns({ LINE_MESSAGING_CHANNEL_ID: '2000000101' })[3]).toMatch(/ on$/);
  });
});

describe('npm run start:deployed: the settings of its synth', () => {
  /** The environment npm start completes with its emulators on PORT 3100. */
  const started = {
    ...DEV_DEFAULTS,
    DYNAMODB_ENDPOINT: 'http://127.0.0.1:41234',
    LINE_API_BASE: 'http://127.0.0.1:3101',
    LINE_AUTH_BASE: 'http://127.0.0.1:3101',
    LINE_ISSUER: 'http://127.0.0.1:3101',
    COMPANY_OIDC_ISSUER: 'http://127.0.0.1:3102',
    COMPANY_API_URL: 'http://127.0.0.1:3102/api/members/verify',
    COMPANY_API_TOKEN_URL: 'http://127.0.0.1:3102/token',
    COMPANY_API_CLIENT_ID: DEV_DEFAULTS.COMPANY_OIDC_CLIENT_ID,
    COMPANY_API_CLIENT_SECRET: DEV_DEFAULTS.COMPANY_OIDC_CLIENT_SECRET,
    PUBLIC_BASE_URL: 'http://localhost:3100',
    APP_RETURN_URLS: 'http://localhost:3100/demo/',
  };

  test('turns on the patterns npm start serves, and the CDK app accepts the result as its settings', () => {
    const added = synthSettings(started);
    expect(added).toEqual({
      LINK_PATTERNS: 'oidc,web,api,record,account-link',
      MEMBER_FACTORS: 'birthDate,postalCode',
      COMPANY_API_AUTH: 'oauth',
    });
    const settings = readSettings({ context: () => undefined, env: { ...started, ...added } });
    expect([...settings.patterns]).toEqual(['oidc', 'web', 'api', 'record', 'account-link']);
    expect(settings.values.LINE_CHANNEL_ID).toBe(DEV_DEFAULTS.LINE_CHANNEL_ID);
    expect(settings.values.COMPANY_OIDC_ISSUER).toBe('http://127.0.0.1:3102');
    expect(settings.values.PUBLIC_BASE_URL).toBe('http://localhost:3100');
  });

  test('leaves what the environment sets, and follows a pattern switched off', () => {
    const env = {
      ...started,
      LINK_PATTERNS: 'oidc',
      MEMBER_FACTORS: 'birthDate',
      COMPANY_API_AUTH: 'api-key',
    };
    expect(synthSettings(env)).toEqual({});
    expect(linkPatternsOf({ ...started, COMPANY_API_URL: undefined })).toEqual([
      'oidc',
      'web',
      'record',
      'account-link',
    ]);
    // Pattern 4 runs on the web flow's company sign-in: without the IdP it is not asked for.
    expect(
      linkPatternsOf({ LINE_MESSAGING_CHANNEL_ID: '2000000101', MEMBER_HASH_PEPPER_ARN: 'arn:x' }),
    ).toEqual(['record']);
  });
});
