import { DEFAULT_COMPANY_API_KEY } from '../../../functions/local/emulators/member-verification-api.js';
import {
  DEFAULT_COMPANY_MEMBERS,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ MEMBER_FACTORS: 'phone' });
  stack.configure({
    COMPANY_API_URL: `${stack.company.url}/api/members/verify`,
    COMPANY_API_AUTH: 'api-key',
    COMPANY_API_KEY: DEFAULT_COMPANY_API_KEY,
    COMPANY_API_KEY_HEADER: 'X-Api-Key',
  });
}, 60_000);
afterAll(() => stack.close());

test('POST /links/by-api with an API key and MEMBER_FACTORS=phone', async () => {
  const member = DEFAULT_COMPANY_MEMBERS[3]!;
  const token = await stack.line.mintIdToken({ userId: testLineUserId(`by-api-key-${Date.now()}`) });
  const tokenCalls = stack.company.stats.token;
  const response = await call(stack.api.url, 'POST', '/links/by-api', {
    token,
    json: { memberId: member.memberId, factors: { phone: '03-1234-5678' } },
  });
  expect(response.status).toBe(201);
  expect(response.body).toMatchObject({ companyUserId: member.memberId, method: 'api' });
  expect(stack.company.stats.token).toBe(tokenCalls);
});
