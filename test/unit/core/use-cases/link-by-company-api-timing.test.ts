import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompanyVerificationApiClient } from '../../../../functions/adapters/company/company-verification-api-client.js';
import {
  linkByCompanyApi,
  type LinkByCompanyApiPorts,
} from '../../../../functions/core/use-cases/link-by-company-api.js';
import { fakeLineVerifier, InMemoryAuditLog, InMemoryLinkRepository } from '../../../support/fakes.js';
import { InMemoryAttemptLimiter, ManualClock } from '../../../support/member-fakes.js';

/**
 * A company verification API whose latency depends on the member, as a real one's may (a
 * database lookup only for numbers that exist): unknown numbers in ~20 ms, known ones
 * (`M-1…`) in ~450 ms; `M-SLOW` never answers in time and `M-FAIL` answers 500 after 30 ms.
 */
let server: Server;
let url: string;
/** Calls received per member number. */
const calls = new Map<string, number>();
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const { memberId } = JSON.parse(body) as { memberId: string };
      calls.set(memberId, (calls.get(memberId) ?? 0) + 1);
      const answer = (status: number, json: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      const after = (ms: number, reply: () => void) => setTimeout(reply, ms).unref();
      if (memberId === 'M-SLOW') after(3000, () => answer(200, { verified: false }));
      else if (memberId === 'M-FAIL') after(30, () => answer(500, {}));
      else after(memberId.startsWith('M-1') ? 450 : 20, () => answer(200, { verified: false }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/verify`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/**
 * Room for the one retry: each call gets at most half of what is left after the back-off
 * (~985 ms here), well above the known members' 450 ms.
 */
const DEADLINE_MS = 2000;

function ports(): LinkByCompanyApiPorts {
  const clock = new ManualClock();
  return {
    line: fakeLineVerifier,
    links: new InMemoryLinkRepository(),
    audit: new InMemoryAuditLog(),
    clock,
    attempts: new InMemoryAttemptLimiter(clock),
    requiredFactors: ['birthDate', 'postalCode'],
    company: new CompanyVerificationApiClient({
      config: { url, timeoutMs: 1500, auth: 'api-key', keyHeader: 'x-api-key' },
      secret: async () => 'key',
      retryDelayMs: 20,
    }),
    failureDeadlineMs: DEADLINE_MS,
  };
}

let seq = 0;
/** One attempt; its answer's code and how long it took (ms). */
async function timed(p: LinkByCompanyApiPorts, memberId: string) {
  const n = ++seq;
  const started = performance.now();
  const error = await linkByCompanyApi(
    {
      lineToken: `line:U${n}`,
      sourceIp: `192.0.2.${n % 250}`,
      memberId,
      factors: { birthDate: '1990-04-13', postalCode: '1000001' },
    },
    p,
  ).then(
    () => undefined,
    (e: { code?: string }) => e,
  );
  return { code: error?.code, ms: performance.now() - started };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

describe('pattern 2 failure timing (CWE-208)', () => {
  test('a known and an unknown member fail at the same time, whatever the API took', async () => {
    const p = ports();
    await timed(p, 'M-999999'); // warm up (first connection)
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => [timed(p, `M-1${i}0000`), timed(p, `M-9${i}0000`)]).flat(),
    );
    const known = results.filter((_, i) => i % 2 === 0);
    const unknown = results.filter((_, i) => i % 2 === 1);
    expect(new Set(results.map((r) => r.code))).toEqual(new Set(['verification-failed']));
    const [a, b] = [median(known.map((r) => r.ms)), median(unknown.map((r) => r.ms))];
    expect(Math.abs(a - b) / Math.max(a, b)).toBeLessThan(0.05);
    expect(Math.min(a, b)).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
  });

  test('a slow or a failing API is answered at the same deadline too (503), the attempt given back', async () => {
    const p = ports();
    const [slow, failing, wrong] = await Promise.all([
      timed(p, 'M-SLOW'),
      timed(p, 'M-FAIL'),
      timed(p, 'M-888888'),
    ]);
    expect([slow.code, failing.code, wrong.code]).toEqual([
      'company-api-unavailable',
      'company-api-unavailable',
      'verification-failed',
    ]);
    const times = [slow.ms, failing.ms, wrong.ms];
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(0.05 * DEADLINE_MS);
    // One retry each after the 5xx and after the timeout, none after the answer.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([calls.get('M-SLOW'), calls.get('M-FAIL'), calls.get('M-888888')]).toEqual([2, 2, 1]);
    const attempts = p.attempts as InMemoryAttemptLimiter;
    expect(attempts.countOf('member', { memberId: 'M-SLOW', lineUserId: '', sourceIp: '' })).toBe(0);
  });
});
