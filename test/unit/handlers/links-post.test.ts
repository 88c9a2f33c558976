import { apiGatewayEvent, invoke, type Answer } from '../../support/api-gateway-event.js';
import { linksPost } from '../../../functions/composition/handlers/links-post.js';
import { offlineWiring, watchOutboundCalls } from '../../support/offline-handlers.js';

/**
 * `POST /links` invoked directly with API Gateway v2 events: every refusal that comes before the
 * use case is a problem+json 4xx with a stable code, and writes and calls nothing.
 */

const wiring = offlineWiring();
const handler = linksPost(wiring);
const outbound = watchOutboundCalls(wiring);
beforeEach(() => outbound.reset());

const post = (options: Partial<Parameters<typeof apiGatewayEvent>[0]>) =>
  invoke(handler, apiGatewayEvent({ method: 'POST', path: '/links', ...options }));

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.statusCode).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
}

const valid = { companyIdToken: 'eyJ.company.token' };

test('no Authorization header: 401 missing-line-token with a Bearer challenge', async () => {
  const answer = await post({ json: valid });
  expectProblem(answer, 401, 'missing-line-token');
  expect(answer.headers['www-authenticate']).toBe('Bearer realm="line-id-link"');
  outbound.expectUntouched();
});

test.each([
  ['another scheme', 'Basic dXNlcjpwYXNz'],
  ['a scheme without a credential', 'Bearer '],
])('Authorization with %s: 401 missing-line-token', async (_, authorization) => {
  const answer = await post({ json: valid, headers: { Authorization: authorization } });
  expectProblem(answer, 401, 'missing-line-token');
  expect(answer.headers['www-authenticate']).toBe('Bearer realm="line-id-link"');
  outbound.expectUntouched();
});

test('malformed JSON: 400 before the token is looked at', async () => {
  const answer = await post({
    bearer: 'line-token',
    body: '{"companyIdToken": ',
    headers: { 'content-type': 'application/json' },
  });
  expectProblem(answer, 400, 'malformed-json');
  outbound.expectUntouched();
});

test('a body that is not JSON: 415', async () => {
  const answer = await post({
    bearer: 'line-token',
    body: 'companyIdToken=x',
    headers: { 'content-type': 'text/plain' },
  });
  expectProblem(answer, 415, 'unsupported-media-type');
  outbound.expectUntouched();
});

test.each([
  ['no company token', {}, '(body)'],
  ['both company tokens', { ...valid, companyAccessToken: 'opaque' }, '(body)'],
  ['an empty companyAccessToken', { companyAccessToken: '' }, 'companyAccessToken'],
  ['an empty companyIdToken', { companyIdToken: '' }, 'companyIdToken'],
  ['a companyIdToken that is not a string', { companyIdToken: 42 }, 'companyIdToken'],
  ['a body that is an array', [valid], '(body)'],
])('%s: 400 invalid-request naming the field', async (_, json, path) => {
  const answer = await post({ bearer: 'line-token', json });
  expectProblem(answer, 400, 'invalid-request');
  expect((answer.body as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toContain(path);
  outbound.expectUntouched();
});

test.each([
  ['text', (json: unknown) => ({ json })],
  [
    'base64 (binary)',
    (json: unknown) => ({
      bytes: Buffer.from(JSON.stringify(json)),
      headers: { 'content-type': 'application/json' },
    }),
  ],
])('a body over 16 KiB, sent as %s: 413 before it is parsed', async (_, body) => {
  const answer = await post({ bearer: 'line-token', ...body({ companyIdToken: 'x'.repeat(17 * 1024) }) });
  expectProblem(answer, 413, 'payload-too-large');
  outbound.expectUntouched();
});

test('a request past every refusal goes to LINE first (the watch sees it); LINE unreachable is 503 line-unavailable, nothing written', async () => {
  const answer = await post({ bearer: 'line-access-token', json: valid });
  expect(outbound.fetch).toHaveBeenCalled();
  expect(String(outbound.fetch.mock.calls[0]![0])).toMatch(/^http:\/\/127\.0\.0\.1:9\//);
  expectProblem(answer, 503, 'line-unavailable');
  expect(outbound.dynamo.calls()).toHaveLength(0);
});
