import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * Pattern 2's one retry, counted at the company API: a local HTTP server in its place that
 * misbehaves per member number and counts the calls it gets. A 5xx or a timeout is retried
 * exactly once, a bad answer (a 4xx, a 200 with broken or cut-off JSON) never, and no call is
 * made after the answer. The timeouts are the defaults (OUTBOUND_TIMEOUT_MS 3 s, the failure
 * deadline 2 s), so a call's own timeout cannot decide how many calls fit before the answer.
 */

const calls = new Map<string, number>();
let server: Server;
let stack: TestStack;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const { memberId } = JSON.parse(body) as { memberId: string };
      const seen = (calls.get(memberId) ?? 0) + 1;
      calls.set(memberId, seen);
      const json = (status: number, text: string) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(text);
      switch (memberId) {
        case 'M-500':
          return json(500, '{"error":"server_error"}');
        case 'M-JSON':
          return json(200, '{"verified": true, "companyUserId": "C-');
        case 'M-CUT':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '64' });
          res.write('{"verified": true, ');
          return setTimeout(() => res.destroy(), 20);
        case 'M-400':
          return json(400, '{"error":"invalid_request"}');
        case 'M-STALL':
          return; // never answers
        case 'M-FLAKY':
          return seen === 1
            ? json(503, '{"error":"unavailable"}')
            : json(200, '{"verified": true, "companyUserId": "C-FLAKY"}');
        default:
          return json(200, '{"verified": false}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stack = await startTestStack({ MEMBER_FACTORS: 'birthDate,postalCode', OUTBOUND_TIMEOUT_MS: '3000' });
  // The handler is built at the first request, so the API's settings can still be set here.
  stack.configure({
    COMPANY_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/verify`,
    COMPANY_API_AUTH: 'api-key',
    COMPANY_API_KEY: 'test-api-key',
  });
  await attempt('M-WARM-UP'); // the handler's cold start, out of the timings below
}, 60_000);
afterAll(async () => {
  await stack.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let seq = 0;
async function attempt(memberId: string) {
  const token = await stack.line.mintIdToken({
    userId: testLineUserId(`by-api-retries-${++seq}-${Date.now()}`),
  });
  const started = performance.now();
  const response = await call(stack.api.url, 'POST', '/links/by-api', {
    token,
    json: { memberId, factors: { birthDate: '1990-04-12', postalCode: '1000001' } },
  });
  return { response, ms: performance.now() - started };
}
/** Long enough for any call the request might still have had pending (a 3 s timeout and the back-off). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 2000));

describe('POST /links/by-api: the company API is called at most twice', () => {
  test.each([
    ['a 5xx', 'M-500', 503, 'company-api-unavailable', 2],
    ['no answer at all', 'M-STALL', 503, 'company-api-unavailable', 2],
    ['a 200 with broken JSON', 'M-JSON', 502, 'company-api-bad-response', 1],
    ['a 200 whose body is cut off', 'M-CUT', 502, 'company-api-bad-response', 1],
    ['a 400', 'M-400', 502, 'company-api-bad-response', 1],
  ] as const)(
    '%s (%s): %i %s after exactly %i call(s), none after the answer',
    async (_name, memberId, status, code, expected) => {
      const { response, ms } = await attempt(memberId);
      expect(response.status).toBe(status);
      expect(response.body).toMatchObject({ code });
      // Every failure is answered at the failure deadline (2 s), whatever the API did.
      expect(ms).toBeGreaterThanOrEqual(1995);
      expect(ms).toBeLessThan(3000);
      expect(calls.get(memberId)).toBe(expected);
      await settle();
      expect(calls.get(memberId)).toBe(expected);
    },
    15_000,
  );

  test('a 503 and then a verdict: linked after the one retry', async () => {
    const { response } = await attempt('M-FLAKY');
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ companyUserId: 'C-FLAKY', method: 'api' });
    expect(calls.get('M-FLAKY')).toBe(2);
  });
});
