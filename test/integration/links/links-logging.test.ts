import { jest } from '@jest/globals';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import { startTestStack, TEST_CHANNEL, TEST_CLIENT, type TestStack } from '../../support/test-stack.js';

/** Logs are structured JSON with request IDs, never contain a token or a secret; metrics are emitted. */
let stack: TestStack;
const lines: string[] = [];
beforeAll(async () => {
  stack = await startTestStack({ POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_METRICS_DISABLED: 'false' });
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
});
afterAll(async () => {
  jest.restoreAllMocks();
  await stack.close();
});

it('logs refusals with their code and request IDs, and no token, code or secret', async () => {
  const lineToken = await stack.line.mintIdToken({ userId: testLineUserId('logging') });
  const companyIdToken = await stack.company.mintIdToken({ sub: 'M-LOG-1', clientId: 'another-app' });
  const expired = await stack.line.mintIdToken({
    userId: testLineUserId('logging-2'),
    issuedAt: new Date(Date.now() - 7_200_000),
    expiresInSec: 3600,
  });
  expect(
    (await call(stack.api.url, 'POST', '/links', { token: lineToken, json: { companyIdToken } })).status,
  ).toBe(401);
  expect((await call(stack.api.url, 'GET', '/links/me', { token: expired })).status).toBe(401);
  stack.line.setOutage('verify', 'down');
  const accessToken = await stack.line.mintAccessToken({ userId: testLineUserId('logging-3') });
  expect((await call(stack.api.url, 'GET', '/links/me', { token: accessToken })).status).toBe(503);
  stack.line.setOutage('verify', null);

  const logs = lines.join('');
  const entries = logs
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(entries.map((e) => e.code)).toEqual(
    expect.arrayContaining(['invalid-company-token', 'invalid-line-token', 'line-unavailable']),
  );
  for (const entry of entries.filter((e) => e.code)) {
    expect(entry.apiRequestId).toEqual(expect.any(String));
    expect(entry.function_request_id).toEqual(expect.any(String));
  }
  for (const secret of [
    lineToken,
    companyIdToken,
    expired,
    accessToken,
    TEST_CHANNEL.channelSecret,
    TEST_CLIENT.clientSecret,
  ]) {
    expect(logs).not.toContain(secret);
    // Not even a token's signature alone.
    expect(logs).not.toContain(secret.split('.').pop()!);
  }
});

it('emits the business metrics as CloudWatch EMF: LinksCreated, LinkConflicts, RejectedTokens', async () => {
  lines.length = 0;
  const a = testLineUserId('metrics-a');
  const b = testLineUserId('metrics-b');
  // A company sign-in per request (a company token links one LINE user).
  const link = async (userId: string) =>
    call(stack.api.url, 'POST', '/links', {
      token: await stack.line.mintIdToken({ userId }),
      json: { companyIdToken: await stack.company.mintIdToken({ sub: 'M-METRICS' }) },
    });
  expect((await link(a)).status).toBe(201);
  expect((await link(b)).status).toBe(409);
  expect((await call(stack.api.url, 'GET', '/links/me', { token: 'forged.token.value' })).status).toBe(401);

  const emitted = lines
    .join('')
    .split('\n')
    .filter((l) => l.includes('"_aws"'))
    .map(
      (l) =>
        JSON.parse(l) as {
          _aws: { CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> };
        },
    )
    .flatMap((e) =>
      e._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => `${m.Namespace}/${x.Name}`)),
    );
  expect(emitted).toEqual([
    'LineIdLink/LinksCreated',
    'LineIdLink/LinkConflicts',
    'LineIdLink/RejectedTokens',
  ]);
});
