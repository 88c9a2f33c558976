import { adminCall, testAdminCredentials } from '../../support/admin-client.js';
import { call } from '../../support/http.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * Every entry a function logs carries that function's name and its own invocation's request ID,
 * however many requests of how many functions the local server runs at once (as in Lambda, where
 * each invocation has its execution environment to itself).
 */
const lines: string[] = [];
const credentials = testAdminCredentials();
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack(
    {
      POWERTOOLS_LOG_LEVEL: 'INFO',
      LINE_MESSAGING_CHANNEL_ID: '2000000101',
      LINE_MESSAGING_CHANNEL_SECRET: 'messaging-channel-secret-0123456',
      LINE_BOT_USER_ID: `U${'b'.repeat(32)}`,
    },
    { iam: credentials, logOutput: (line) => lines.push(line) },
  );
});
afterAll(async () => {
  await stack.close();
});

type Entry = Record<string, unknown>;
const entries = (): Entry[] => lines.map((line) => JSON.parse(line) as Entry);

it('logs each refusal under its own function and request ID, with requests of several functions at once', async () => {
  const unknownUser = `U${'e'.repeat(32)}`;
  const rounds = [0, 1, 2, 3];
  const answers = await Promise.all(
    rounds.flatMap(() => [
      // An admin refusal by the function (signed, so IAM lets it through): 404 not-linked.
      adminCall(stack.api.url, 'GET', `/admin/links/line/${unknownUser}`, credentials),
      // An admin request with a malformed path parameter: 400 invalid-request.
      adminCall(stack.api.url, 'GET', '/admin/links/line/not-a-line-id', credentials),
      call(stack.api.url, 'POST', '/webhook/line', {
        json: { destination: 'U0', events: [] },
        headers: { 'x-line-signature': 'bm90IGEgc2lnbmF0dXJl' },
      }),
      call(stack.api.url, 'GET', '/links/me'),
    ]),
  );
  expect(answers.map((a) => a.status)).toEqual(rounds.flatMap(() => [404, 400, 401, 401]));

  const refusals = entries().filter((e) => e.message === 'request refused');
  const byCode = (code: string) => refusals.filter((e) => e.code === code);
  expect(byCode('not-linked').map((e) => e.function_name)).toEqual(rounds.map(() => 'admin-links-line-get'));
  expect(byCode('invalid-request').map((e) => e.function_name)).toEqual(
    rounds.map(() => 'admin-links-line-get'),
  );
  expect(byCode('invalid-webhook-signature').map((e) => e.function_name)).toEqual(
    rounds.map(() => 'webhook-line-post'),
  );
  expect(byCode('missing-line-token').map((e) => e.function_name)).toEqual(rounds.map(() => 'links-me-get'));
  expect(refusals).toHaveLength(rounds.length * 4);
  // The invocation's own ID: the Lambda request ID and API Gateway's agree, and no two requests share one.
  for (const entry of refusals) {
    expect(entry.function_request_id).toEqual(expect.any(String));
    expect(entry.apiRequestId).toBe(entry.function_request_id);
  }
  expect(new Set(refusals.map((e) => e.function_request_id)).size).toBe(refusals.length);
});

it('logs an IAM refusal as the gateway, with the request ID and no function', async () => {
  lines.length = 0;
  const answer = await call(stack.api.url, 'GET', `/admin/links/line/U${'f'.repeat(32)}`);
  expect(answer.status).toBe(403);
  expect(entries()).toEqual([
    expect.objectContaining({
      level: 'WARN',
      message: 'request refused by IAM authorization',
      routeKey: 'GET /admin/links/line/{lineUserId}',
      reason: 'unsigned',
      apiRequestId: expect.any(String),
    }),
  ]);
  expect(entries()[0]).not.toHaveProperty('function_name');
});
