import {
  checkMemberHashPepper,
  ConfigError,
  companyApiConfigured,
  loadAttemptLimits,
  loadMemberAnswerTiming,
  loadCompanyApiConfig,
  loadMemberFactors,
  loadMemberImportSettings,
} from '../../functions/config.js';

describe('member-data configuration', () => {
  test('MEMBER_FACTORS: default, list, unknown and duplicate names', () => {
    expect(loadMemberFactors({})).toEqual(['birthDate', 'postalCode']);
    expect(loadMemberFactors({ MEMBER_FACTORS: ' phone , birthDate ' })).toEqual(['phone', 'birthDate']);
    expect(() => loadMemberFactors({ MEMBER_FACTORS: 'birthDate,shoeSize' })).toThrow(
      /MEMBER_FACTORS.*shoeSize/,
    );
    expect(() => loadMemberFactors({ MEMBER_FACTORS: 'phone,phone' })).toThrow(ConfigError);
  });

  test('MEMBER_HASH_PEPPER or its ARN is required; a direct one must be long enough', () => {
    expect(() => checkMemberHashPepper({})).toThrow(/MEMBER_HASH_PEPPER \(or MEMBER_HASH_PEPPER_ARN\)/);
    expect(() => checkMemberHashPepper({ MEMBER_HASH_PEPPER: 'short' })).toThrow(/at least 16/);
    expect(() => checkMemberHashPepper({ MEMBER_HASH_PEPPER: 'x'.repeat(16) })).not.toThrow();
    expect(() =>
      checkMemberHashPepper({
        MEMBER_HASH_PEPPER_ARN: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:pepper-AbCdEf',
      }),
    ).not.toThrow();
  });

  test('attempt limits: defaults and overrides', () => {
    expect(loadAttemptLimits({})).toEqual({
      perMember: 5,
      perLineUser: 10,
      perAddress: 20,
      global: 1000,
      globalShards: 10,
      windowSeconds: 900,
    });
    expect(loadAttemptLimits({ ATTEMPTS_PER_ADDRESS: '7', ATTEMPTS_GLOBAL_SHARDS: '32' })).toMatchObject({
      perAddress: 7,
      globalShards: 32,
    });
    expect(loadAttemptLimits({ ATTEMPTS_PER_MEMBER: '3', ATTEMPTS_WINDOW_SECONDS: '60' })).toMatchObject({
      perMember: 3,
      windowSeconds: 60,
    });
    expect(() => loadAttemptLimits({ ATTEMPTS_GLOBAL: '0' })).toThrow(/ATTEMPTS_GLOBAL/);
  });

  test('answer timing: pattern 2 deadline and the global slowdown, with defaults', () => {
    expect(loadMemberAnswerTiming({})).toEqual({ failureDeadlineMs: 2000, globalSlowdownMs: 1000 });
    expect(
      loadMemberAnswerTiming({ COMPANY_API_FAILURE_DEADLINE_MS: '1500', ATTEMPTS_GLOBAL_SLOWDOWN_MS: '250' }),
    ).toEqual({ failureDeadlineMs: 1500, globalSlowdownMs: 250 });
    expect(() => loadMemberAnswerTiming({ COMPANY_API_FAILURE_DEADLINE_MS: 'soon' })).toThrow(
      /COMPANY_API_FAILURE_DEADLINE_MS/,
    );
    expect(companyApiConfigured({})).toBe(false);
    expect(companyApiConfigured({ COMPANY_API_URL: 'https://company.example/verify' })).toBe(true);
  });

  test('company API: oauth (default) and api-key, each naming what is missing', () => {
    const base = { COMPANY_API_URL: 'https://company.example/verify' };
    expect(() => loadCompanyApiConfig({})).toThrow(/COMPANY_API_URL/);
    expect(() => loadCompanyApiConfig({ COMPANY_API_URL: 'http://company.example/verify' })).toThrow(/https/);
    expect(() => loadCompanyApiConfig(base)).toThrow(/COMPANY_API_TOKEN_URL/);
    expect(() =>
      loadCompanyApiConfig({
        ...base,
        COMPANY_API_TOKEN_URL: 'https://c.example/token',
        COMPANY_API_CLIENT_ID: 'id',
      }),
    ).toThrow(/COMPANY_API_CLIENT_SECRET/);
    expect(
      loadCompanyApiConfig({
        ...base,
        COMPANY_API_TOKEN_URL: 'https://c.example/token',
        COMPANY_API_CLIENT_ID: 'id',
        COMPANY_API_CLIENT_SECRET_ARN: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:api-AbCdEf',
        COMPANY_API_SCOPE: 'members.verify',
      }),
    ).toEqual({
      url: base.COMPANY_API_URL,
      timeoutMs: 3000,
      auth: 'oauth',
      tokenUrl: 'https://c.example/token',
      clientId: 'id',
      scope: 'members.verify',
    });
    expect(() => loadCompanyApiConfig({ ...base, COMPANY_API_AUTH: 'api-key' })).toThrow(/COMPANY_API_KEY/);
    expect(loadCompanyApiConfig({ ...base, COMPANY_API_AUTH: 'api-key', COMPANY_API_KEY: 'k' })).toEqual({
      url: base.COMPANY_API_URL,
      timeoutMs: 3000,
      auth: 'api-key',
      keyHeader: 'x-api-key',
    });
    expect(() =>
      loadCompanyApiConfig({
        ...base,
        COMPANY_API_AUTH: 'api-key',
        COMPANY_API_KEY: 'k',
        COMPANY_API_KEY_HEADER: 'bad header',
      }),
    ).toThrow(/COMPANY_API_KEY_HEADER/);
    expect(() => loadCompanyApiConfig({ ...base, COMPANY_API_AUTH: 'basic' })).toThrow(
      'COMPANY_API_AUTH must be one of oauth, api-key, got "basic".',
    );
  });

  test('S3 import settings', () => {
    expect(loadMemberImportSettings({})).toEqual({ deleteMissing: false, concurrency: 8 });
    expect(
      loadMemberImportSettings({ MEMBERS_IMPORT_DELETE_MISSING: 'TRUE', MEMBERS_IMPORT_CONCURRENCY: '4' }),
    ).toEqual({ deleteMissing: true, concurrency: 4 });
    expect(() => loadMemberImportSettings({ MEMBERS_IMPORT_DELETE_MISSING: 'yes' })).toThrow(
      /MEMBERS_IMPORT_DELETE_MISSING/,
    );
  });
});
