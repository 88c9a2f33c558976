import { ConfigError, readConfig, type Env } from '../../../functions/config.js';

/** One settings group of `env`, as a composition root's wiring reads it. */
const attemptsOf = (env: Env) => readConfig(env).attempts;
const companyApiOf = (env: Env) => readConfig(env).companyApi;
const memberAnswerTimingOf = (env: Env) => readConfig(env).memberAnswerTiming;
const memberFactorsOf = (env: Env) => readConfig(env).memberFactors;
const memberHashPepperOf = (env: Env) => readConfig(env).memberHashPepper;
const memberImportOf = (env: Env) => readConfig(env).memberImport;

describe('member-data configuration', () => {
  test('MEMBER_FACTORS: default, list, unknown and duplicate names', () => {
    expect(memberFactorsOf({})).toEqual(['birthDate', 'postalCode']);
    expect(memberFactorsOf({ MEMBER_FACTORS: ' phone , birthDate ' })).toEqual(['phone', 'birthDate']);
    expect(() => memberFactorsOf({ MEMBER_FACTORS: 'birthDate,shoeSize' })).toThrow(
      /MEMBER_FACTORS.*shoeSize/,
    );
    expect(() => memberFactorsOf({ MEMBER_FACTORS: 'phone,phone' })).toThrow(ConfigError);
  });

  test('MEMBER_HASH_PEPPER or its ARN is required; a direct one must be long enough', () => {
    expect(() => memberHashPepperOf({})).toThrow(/MEMBER_HASH_PEPPER \(or MEMBER_HASH_PEPPER_ARN\)/);
    expect(() => memberHashPepperOf({ MEMBER_HASH_PEPPER: 'short' })).toThrow(/at least 16/);
    expect(() => memberHashPepperOf({ MEMBER_HASH_PEPPER: 'x'.repeat(16) })).not.toThrow();
    expect(() =>
      memberHashPepperOf({
        MEMBER_HASH_PEPPER_ARN: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:pepper-AbCdEf',
      }),
    ).not.toThrow();
  });

  test('attempt limits: defaults and overrides', () => {
    expect(attemptsOf({})).toEqual({
      perMember: 5,
      perLineUser: 10,
      perAddress: 20,
      global: 1000,
      globalShards: 10,
      windowSeconds: 900,
    });
    expect(attemptsOf({ ATTEMPTS_PER_ADDRESS: '7', ATTEMPTS_GLOBAL_SHARDS: '32' })).toMatchObject({
      perAddress: 7,
      globalShards: 32,
    });
    expect(attemptsOf({ ATTEMPTS_PER_MEMBER: '3', ATTEMPTS_WINDOW_SECONDS: '60' })).toMatchObject({
      perMember: 3,
      windowSeconds: 60,
    });
    expect(() => attemptsOf({ ATTEMPTS_GLOBAL: '0' })).toThrow(/ATTEMPTS_GLOBAL/);
  });

  test('answer timing: pattern 2 deadline and the global slowdown, with defaults', () => {
    expect(memberAnswerTimingOf({})).toEqual({ failureDeadlineMs: 2000, globalSlowdownMs: 1000 });
    expect(
      memberAnswerTimingOf({ COMPANY_API_FAILURE_DEADLINE_MS: '1500', ATTEMPTS_GLOBAL_SLOWDOWN_MS: '250' }),
    ).toEqual({ failureDeadlineMs: 1500, globalSlowdownMs: 250 });
    expect(() => memberAnswerTimingOf({ COMPANY_API_FAILURE_DEADLINE_MS: 'soon' })).toThrow(
      /COMPANY_API_FAILURE_DEADLINE_MS/,
    );
    expect(readConfig({}).patterns.companyApi).toBe(false);
    expect(readConfig({ COMPANY_API_URL: 'https://company.example/verify' }).patterns.companyApi).toBe(true);
  });

  test('company API: oauth (default) and api-key, each naming what is missing', () => {
    const base = { COMPANY_API_URL: 'https://company.example/verify' };
    expect(() => companyApiOf({})).toThrow(/COMPANY_API_URL/);
    expect(() => companyApiOf({ COMPANY_API_URL: 'http://company.example/verify' })).toThrow(/https/);
    expect(() => companyApiOf(base)).toThrow(/COMPANY_API_TOKEN_URL/);
    expect(() =>
      companyApiOf({
        ...base,
        COMPANY_API_TOKEN_URL: 'https://c.example/token',
        COMPANY_API_CLIENT_ID: 'id',
      }),
    ).toThrow(/COMPANY_API_CLIENT_SECRET/);
    expect(
      companyApiOf({
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
    expect(() => companyApiOf({ ...base, COMPANY_API_AUTH: 'api-key' })).toThrow(/COMPANY_API_KEY/);
    expect(companyApiOf({ ...base, COMPANY_API_AUTH: 'api-key', COMPANY_API_KEY: 'k' })).toEqual({
      url: base.COMPANY_API_URL,
      timeoutMs: 3000,
      auth: 'api-key',
      keyHeader: 'x-api-key',
    });
    expect(() =>
      companyApiOf({
        ...base,
        COMPANY_API_AUTH: 'api-key',
        COMPANY_API_KEY: 'k',
        COMPANY_API_KEY_HEADER: 'bad header',
      }),
    ).toThrow(/COMPANY_API_KEY_HEADER/);
    expect(() => companyApiOf({ ...base, COMPANY_API_AUTH: 'basic' })).toThrow(
      'COMPANY_API_AUTH must be one of oauth, api-key, got "basic".',
    );
  });

  test('S3 import settings', () => {
    expect(memberImportOf({})).toEqual({ deleteMissing: false, concurrency: 8 });
    expect(
      memberImportOf({ MEMBERS_IMPORT_DELETE_MISSING: 'TRUE', MEMBERS_IMPORT_CONCURRENCY: '4' }),
    ).toEqual({ deleteMissing: true, concurrency: 4 });
    expect(() => memberImportOf({ MEMBERS_IMPORT_DELETE_MISSING: 'yes' })).toThrow(
      /MEMBERS_IMPORT_DELETE_MISSING/,
    );
  });
});
