import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

let stack: TestStack;
const errors: unknown[] = [];
const consoleError = console.error;
beforeAll(async () => {
  // Your own LINE channel and IdP, but no company verification API configured.
  stack = await startTestStack({ MEMBER_FACTORS: 'birthDate,postalCode', COMPANY_API_URL: undefined });
  console.error = (...args: unknown[]) => errors.push(args);
}, 60_000);
afterAll(async () => {
  console.error = consoleError;
  await stack.close();
});

test('POST /links/by-api without COMPANY_API_URL: 501 feature-disabled naming the setting, nothing written', async () => {
  const token = await stack.line.mintIdToken({ userId: testLineUserId(`unconfigured-${Date.now()}`) });
  for (let i = 0; i < 2; i++) {
    const response = await call(stack.api.url, 'POST', '/links/by-api', {
      token,
      json: { memberId: 'M-100001', factors: { birthDate: '1990-04-12', postalCode: '1000001' } },
    });
    expect(response.status).toBe(501);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toMatchObject({ code: 'feature-disabled', status: 501 });
    expect((response.body as { detail: string }).detail).toContain('COMPANY_API_URL');
  }
  expect(errors).toEqual([]);
  expect(await stack.scan('attempts')).toEqual([]);
  expect(await stack.scan('links')).toEqual([]);
});
