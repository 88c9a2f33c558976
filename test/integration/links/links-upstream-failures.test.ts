import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * LINE and the company IdP failing: every request fails closed with 502/503 and writes nothing.
 * This file gets its own stack (and so fresh JWKS and discovery caches) so outages are seen
 * from a cold start.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

let seq = 0;
const fresh = () => ({ lineUserId: testLineUserId(`upstream-${++seq}`), memberId: `M-UP-${seq}` });

async function attempt(kind: 'id' | 'access' = 'id') {
  const { lineUserId, memberId } = fresh();
  const lineToken =
    kind === 'id'
      ? await stack.line.mintIdToken({ userId: lineUserId })
      : await stack.line.mintAccessToken({ userId: lineUserId });
  const response = await call(stack.api.url, 'POST', '/links', {
    token: lineToken,
    json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
  });
  const written = (await stack.scan('links')).filter((i) =>
    [`LINE#${lineUserId}`, `COMPANY#${memberId}`].includes((i.pk as { S: string }).S),
  );
  return { response, written };
}

afterEach(() => {
  stack.line.setOutage('all', null);
  stack.company.setOutage('all', null);
});

// Runs first: the company verifier has not yet cached discovery or keys in this file.
describe('company IdP failures at cold start', () => {
  it.each([
    ['discovery', 'down', 503, 'company-idp-unavailable'],
    ['discovery', 'garbage', 502, 'company-idp-bad-response'],
    ['discovery', 'error500', 503, 'company-idp-unavailable'],
    ['jwks', 'down', 503, 'company-idp-unavailable'],
    ['jwks', 'garbage', 502, 'company-idp-bad-response'],
  ] as const)('%s %s → %i, nothing written', async (endpoint, mode, status, code) => {
    stack.company.setOutage(endpoint, mode);
    // An access token keeps LINE's JWKS out of the cache for the cold-start test below.
    const { response, written } = await attempt('access');
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ code });
    expect(written).toEqual([]);
  });

  it('recovers once the IdP is back (a failed discovery is not cached)', async () => {
    expect((await attempt('access')).response.status).toBe(201);
  });
});

describe('LINE failures', () => {
  it.each([
    ['down', 503, 'line-unavailable'],
    ['error500', 503, 'line-unavailable'],
    ['garbage', 502, 'line-bad-response'],
  ] as const)('LINE JWKS %s at cold start → %i, nothing written', async (mode, status, code) => {
    stack.line.setOutage('certs', mode);
    const { response, written } = await attempt();
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ code });
    expect(written).toEqual([]);
  });

  it('recovers once the JWKS is back (a failed fetch is not cached)', async () => {
    stack.line.setOutage('certs', null);
    expect((await attempt()).response.status).toBe(201);
  });

  it('keeps LINE keys cached: many verifications, one JWKS fetch', async () => {
    const before = stack.line.stats.certs;
    for (let i = 0; i < 5; i++) expect((await attempt()).response.status).toBe(201);
    expect(stack.line.stats.certs).toBe(before);
  });

  it.each([
    ['down', 503, 'line-unavailable'],
    ['error500', 503, 'line-unavailable'],
    ['garbage', 502, 'line-bad-response'],
    ['slow', 503, 'line-unavailable'],
  ] as const)('LINE verify endpoint %s → %i', async (mode, status, code) => {
    stack.line.setOutage('verify', mode);
    const { response, written } = await attempt('access');
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ code });
    expect(written).toEqual([]);
  });

  it('LINE profile endpoint down → 503', async () => {
    stack.line.setOutage('profile', 'down');
    const { response, written } = await attempt('access');
    expect(response.status).toBe(503);
    expect(written).toEqual([]);
  });
});
