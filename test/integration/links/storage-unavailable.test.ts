import {
  DEFAULT_COMPANY_MEMBERS,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../support/dynamo-fault-proxy.js';
import { call } from '../../support/http.js';
import { importSample, n, s, TEST_PEPPER } from '../../support/member-data.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * DynamoDB faults as the HTTP API answers them: the real handlers behind the local API server,
 * their DynamoDB endpoint pointed at the fault proxy in front of DynamoDB Local. A fault that
 * outlasts the SDK's retries is 503 `storage-unavailable` with `Retry-After` (problem+json, or
 * the web flow's 503 page), never a 500; the attempt counters move together or not at all, and
 * a lost answer counts once.
 */

const APP = 'https://app.example/done';
let proxy: DynamoFaultProxy;
let stack: TestStack;
beforeAll(async () => {
  proxy = await startDynamoFaultProxy(process.env.DYNAMODB_ENDPOINT!);
  // The stack creates its tables on the engine itself; the handlers talk to it through the proxy.
  stack = await startTestStack({
    DYNAMODB_ENDPOINT: proxy.endpoint,
    MEMBER_HASH_PEPPER: TEST_PEPPER,
    MEMBER_FACTORS: 'birthDate,postalCode',
    APP_RETURN_URLS: APP,
  });
  await importSample(stack.tables.members);
}, 60_000);
afterAll(async () => {
  await stack.close();
  await proxy.close();
});
beforeEach(() => proxy.clear());

const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!;
let seq = 0;
async function lineUser() {
  const userId = testLineUserId(`storage-${++seq}-${Date.now()}`);
  return { userId, token: await stack.line.mintIdToken({ userId }) };
}
const counter = async (pk: string) => (await stack.scan('attempts')).find((item) => s(item, 'pk') === pk);

describe('503 storage-unavailable', () => {
  test.each(['throttle', 'server-error', 'reset-before'] as const)(
    'GET /links/me while every GetItem of the links table meets %s',
    async (kind) => {
      const { token } = await lineUser();
      proxy.inject({ operation: 'GetItem', table: stack.tables.links, kind, times: Infinity });

      const response = await call(stack.api.url, 'GET', '/links/me', { token });

      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.body).toEqual({
        type: 'urn:line-id-link:problem:storage-unavailable',
        title: 'Service Unavailable',
        status: 503,
        detail: 'The storage is unavailable at the moment; try again shortly.',
        code: 'storage-unavailable',
      });
      expect(proxy.count({ operation: 'GetItem', table: stack.tables.links })).toBe(3); // every attempt

      proxy.clear();
      expect((await call(stack.api.url, 'GET', '/links/me', { token })).status).toBe(404);
    },
    20_000,
  );

  test('POST /links/by-record whose counting transaction fails for good: 503, and no counter moved', async () => {
    const { userId, token } = await lineUser();
    proxy.inject({
      operation: 'TransactWriteItems',
      table: stack.tables.attempts,
      kind: 'server-error',
      times: Infinity,
    });

    const response = await call(stack.api.url, 'POST', '/links/by-record', {
      token,
      json: {
        memberId: HANAKO.memberId,
        factors: { birthDate: '1901-01-01', postalCode: HANAKO.postalCode },
      },
    });

    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ code: 'storage-unavailable' });
    expect(response.headers.get('retry-after')).toBe('1');
    proxy.clear();
    expect(await counter(`MEMBER#${HANAKO.memberId}`)).toBeUndefined();
    expect(await counter(`LINE#${userId}`)).toBeUndefined();
  }, 20_000);

  test('the web flow shows its 503 page', async () => {
    proxy.inject({ operation: 'PutItem', table: stack.tables.sessions, kind: 'throttle', times: Infinity });

    const response = await fetch(`${stack.api.url}/auth/line/login?returnTo=${encodeURIComponent(APP)}`, {
      redirect: 'manual',
    });

    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('<code id="error-code">storage-unavailable</code>');
  }, 20_000);
});

describe('the attempt counters over HTTP', () => {
  test('a lost answer to the counting transaction counts the attempt once, in every scope', async () => {
    const { userId, token } = await lineUser();
    const memberId = 'M-404404';
    proxy.inject({ operation: 'TransactWriteItems', table: stack.tables.attempts, kind: 'reset-after' });

    const response = await call(stack.api.url, 'POST', '/links/by-record', {
      token,
      json: { memberId, factors: { birthDate: '1901-01-01', postalCode: '1000001' } },
    });

    expect(response.status).toBe(422);
    const sent = proxy.calls.filter((c) => c.operation === 'TransactWriteItems');
    expect(sent[0]!.fault).toBe('reset-after');
    expect(sent[1]!.body.ClientRequestToken).toBe(sent[0]!.body.ClientRequestToken);
    expect(n((await counter(`MEMBER#${memberId}`))!, 'count')).toBe(1);
    expect(n((await counter(`LINE#${userId}`))!, 'count')).toBe(1);
  }, 20_000);
});
