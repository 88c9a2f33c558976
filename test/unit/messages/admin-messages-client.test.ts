import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AdminApiError,
  sendThroughAdminApi,
  type AdminMessagesClientOptions,
} from '../../../functions/messages/admin-messages-client.js';

/** The send command line's client of POST /admin/messages against a scripted server: what it retries, and how. */

type Answer = { status: number; json?: unknown; headers?: Record<string, string> };
let server: Server;
let url: string;
let script: Answer[];
const seen: Array<{ method: string; path: string; headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, path: req.url!, headers: req.headers, body });
      const answer = script.shift() ?? { status: 500, json: { code: 'internal-error' } };
      res.writeHead(answer.status, {
        'content-type': answer.status < 400 ? 'application/json' : 'application/problem+json',
        ...answer.headers,
      });
      res.end(answer.json === undefined ? '' : JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  seen.length = 0;
});

function options(): AdminMessagesClientOptions & { waits: number[] } {
  const waits: number[] = [];
  return {
    baseUrl: url,
    region: 'ap-northeast-1',
    credentials: async () => ({
      accessKeyId: 'AKIATEST',
      secretAccessKey: 'secret',
      sessionToken: 'session',
    }),
    sleep: async (ms) => void waits.push(ms),
    waits,
  };
}

const BODY = JSON.stringify({ to: ['M1'], messages: [{ type: 'text', text: 'Hi' }] });
const SENT = { counts: { sent: 1 }, results: [{ companyUserId: 'M1', status: 'sent' }] };

test('a key in progress (409) and a 503 are tried again with the same key and body, honouring Retry-After', async () => {
  script = [
    { status: 409, json: { code: 'idempotency-key-in-progress' }, headers: { 'retry-after': '2' } },
    { status: 503, json: { code: 'storage-unavailable' } },
    { status: 200, json: SENT },
  ];
  const o = options();
  expect(await sendThroughAdminApi(BODY, 'key "1"', o)).toEqual({ results: SENT.results });
  expect(seen.map((r) => r.headers['idempotency-key'])).toEqual(Array(3).fill('"key \\"1\\""'));
  expect(new Set(seen.map((r) => r.body))).toEqual(new Set([BODY]));
  expect(o.waits).toEqual([2000, 1000]);
  // Signed (SigV4, with the session token), afresh each try.
  for (const r of seen) {
    expect(r.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIATEST\/\d{8}\/ap-northeast-1\/execute-api\//,
    );
    expect(r.headers['x-amz-security-token']).toBe('session');
  }
});

test.each([
  ['422 idempotency-key-reused', 422, 'idempotency-key-reused'],
  ['400 invalid-request', 400, 'invalid-request'],
  ['409 of another kind', 409, 'line-user-already-linked'],
])('%s is final: no retry, the code is reported', async (_label, status, code) => {
  script = [{ status, json: { code, detail: 'No.' } }];
  const error = await sendThroughAdminApi(BODY, 'k', options()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AdminApiError);
  expect(error).toMatchObject({ status, code });
  expect((error as Error).message).toContain(`${status} ${code}: No.`);
  expect(seen).toHaveLength(1);
});

test('gives up after maxAttempts tries, saying why', async () => {
  script = Array(3).fill({ status: 502, json: {} });
  const error = await sendThroughAdminApi(BODY, 'k', { ...options(), maxAttempts: 3 }).catch(
    (e: unknown) => e,
  );
  expect((error as Error).message).toContain('gave up after 3 tries, the last: 502');
  expect(seen).toHaveLength(3);
});

test('a job (202) is followed at its Location until done, and its report read page by page', async () => {
  const job = '00000000-0000-4000-8000-000000000001';
  script = [
    {
      status: 202,
      json: { jobId: job, status: 'running' },
      headers: { location: `/admin/messages/jobs/${job}` },
    },
    { status: 503, json: {} },
    { status: 200, json: { status: 'running', total: 2, counts: { sent: 1 }, results: [] } },
    {
      status: 200,
      json: {
        status: 'done',
        total: 2,
        counts: { sent: 2 },
        results: [{ companyUserId: 'M1', status: 'sent' }],
        nextCursor: '20',
      },
    },
    { status: 200, json: { status: 'done', results: [{ companyUserId: 'M2', status: 'sent' }] } },
  ];
  const progress: number[] = [];
  const outcome = await sendThroughAdminApi(BODY, 'k', {
    ...options(),
    onProgress: (done) => progress.push(done),
  });
  expect(outcome).toEqual({
    jobId: job,
    results: [
      { companyUserId: 'M1', status: 'sent' },
      { companyUserId: 'M2', status: 'sent' },
    ],
  });
  expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
    'POST /admin/messages',
    `GET /admin/messages/jobs/${job}`,
    `GET /admin/messages/jobs/${job}`,
    `GET /admin/messages/jobs/${job}`,
    `GET /admin/messages/jobs/${job}?cursor=20`,
  ]);
  expect(progress).toEqual([1, 2]);
});
