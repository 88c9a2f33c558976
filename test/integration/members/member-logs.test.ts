import { jest } from '@jest/globals';
import {
  DEFAULT_COMPANY_MEMBERS,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import { importSample, TEST_PEPPER } from '../../support/member-data.js';
import { startTestStack, TEST_CLIENT, type TestStack } from '../../support/test-stack.js';

let stack: TestStack;
let output = '';
beforeAll(async () => {
  stack = await startTestStack({ MEMBER_HASH_PEPPER: TEST_PEPPER, POWERTOOLS_LOG_LEVEL: 'INFO' });
  stack.configure({
    COMPANY_API_URL: `${stack.company.url}/api/members/verify`,
    COMPANY_API_AUTH: 'oauth',
    COMPANY_API_TOKEN_URL: `${stack.company.url}/token`,
    COMPANY_API_CLIENT_ID: TEST_CLIENT.clientId,
    COMPANY_API_CLIENT_SECRET: TEST_CLIENT.clientSecret,
  });
  await importSample(stack.tables.members);
  // The Powertools logger writes JSON lines to stdout: capture them (and keep the test output quiet).
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
}, 60_000);
afterAll(async () => {
  jest.restoreAllMocks();
  await stack.close();
});

const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!;
const ICHIRO = DEFAULT_COMPANY_MEMBERS[1]!;
/** Distinctive wrong values, in the forms typed and normalized. */
const WRONG_TYPED = { birthDate: '1933/3/17', postalCode: '987-6543' };
const WRONG_FORMS = ['1933/3/17', '1933-03-17', '19330317', '987-6543', '9876543'];

async function as(label: string) {
  return stack.line.mintIdToken({ userId: testLineUserId(`logs-${label}-${Date.now()}`) });
}

test('every attempt is logged with its outcome; no factor value, pepper or secret ever is', async () => {
  const post = async (path: string, token: string, json: unknown) =>
    call(stack.api.url, 'POST', path, { token, json });
  const ok = await post('/links/by-record', await as('ok'), {
    memberId: HANAKO.memberId,
    factors: { birthDate: HANAKO.birthDate, postalCode: HANAKO.postalCode },
  });
  expect(ok.status).toBe(201);
  for (let i = 0; i < 6; i++)
    await post('/links/by-record', await as(`wrong-${i}`), {
      memberId: ICHIRO.memberId,
      factors: WRONG_TYPED,
    });
  await post('/links/by-record', await as('bad'), {
    memberId: ICHIRO.memberId,
    factors: { birthDate: '1933-02-30', postalCode: '9876543' },
  });
  expect(
    (await post('/links/by-api', await as('api'), { memberId: 'M-100003', factors: WRONG_TYPED })).status,
  ).toBe(422);
  stack.company.setOutage('members', 'down');
  expect(
    (await post('/links/by-api', await as('down'), { memberId: 'M-100003', factors: WRONG_TYPED })).status,
  ).toBe(503);
  stack.company.setOutage('all', null);

  const attempts = output
    .split('\n')
    .filter((line) => line.includes('member verification attempt'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(attempts.map((a) => `${a.method}:${a.outcome}`)).toEqual([
    'record:verified',
    'record:failed',
    'record:failed',
    'record:failed',
    'record:failed',
    'record:locked',
    'record:refused',
    'api:failed',
    'api:unavailable',
  ]);
  expect(attempts[5]).toMatchObject({
    level: 'INFO',
    memberId: ICHIRO.memberId,
    lockedScopes: ['member'],
    counts: { member: 5 },
  });
  expect(output).toContain('"code":"too-many-attempts"');

  for (const secret of [
    TEST_PEPPER,
    TEST_CLIENT.clientSecret,
    ...WRONG_FORMS,
    '1933-02-30',
    HANAKO.birthDate,
    HANAKO.postalCode,
  ]) {
    expect(output).not.toContain(secret);
  }
}, 60_000);
