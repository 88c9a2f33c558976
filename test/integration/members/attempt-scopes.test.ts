import { request } from 'node:http';
import {
  DEFAULT_COMPANY_MEMBERS,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { importSample, n, s, TEST_PEPPER } from '../../support/member-data.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

const SHARDS = 4;
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    MEMBER_HASH_PEPPER: TEST_PEPPER,
    MEMBER_FACTORS: 'birthDate,postalCode',
    ATTEMPTS_PER_ADDRESS: '5',
    ATTEMPTS_GLOBAL: '3',
    ATTEMPTS_GLOBAL_SHARDS: String(SHARDS),
    ATTEMPTS_GLOBAL_SLOWDOWN_MS: '400',
  });
  await importSample(stack.tables.members);
}, 60_000);
afterAll(() => stack.close());

const HANAKO = DEFAULT_COMPANY_MEMBERS[0]!;
const ICHIRO = DEFAULT_COMPANY_MEMBERS[1]!;

/**
 * `POST /links/by-record` from a given loopback address (127.0.0.0/8 is all local on Linux), so
 * API Gateway's `sourceIp` differs per caller as it would for clients on the Internet.
 */
function postFrom(address: string, token: string, json: unknown) {
  const url = new URL('/links/by-record', stack.api.url);
  const body = JSON.stringify(json);
  return new Promise<{ status: number; text: string; ms: number }>((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url,
      {
        method: 'POST',
        localAddress: address,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, text, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let seq = 0;
const token = async () => stack.line.mintIdToken({ userId: testLineUserId(`scopes-${++seq}-${Date.now()}`) });
const wrong = { birthDate: '1901-01-01', postalCode: '1000001' };

describe('attempt scopes on DynamoDB Local', () => {
  test('one address, many LINE accounts and members: 5 evaluated guesses in all, counted exactly in parallel', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, async (_, i) =>
        postFrom('127.0.0.2', await token(), { memberId: `M-77${i}`, factors: wrong }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(4).fill(422), ...Array(8).fill(429)]);
    const item = (await stack.scan('attempts')).find((i) => s(i, 'pk') === 'ADDR#127.0.0.2');
    expect(n(item!, 'count')).toBe(12);
    // The address lock answers like any other lock: the same body as the member's lock.
    const lockBodies = new Set(results.filter((r) => r.status === 429).map((r) => r.text));
    expect(lockBodies.size).toBe(1);
    for (let i = 0; i < 5; i++)
      await postFrom('127.0.0.4', await token(), { memberId: ICHIRO.memberId, factors: wrong });
    const memberLock = await postFrom('127.0.0.5', await token(), {
      memberId: ICHIRO.memberId,
      factors: wrong,
    });
    expect(memberLock.status).toBe(429);
    expect(memberLock.text).toBe([...lockBodies][0]);
  });

  test('over the service-wide threshold nobody is locked out: a real member still links, failures are slowed', async () => {
    // The failures above are far over ATTEMPTS_GLOBAL=3.
    const slowed = await postFrom('127.0.0.6', await token(), { memberId: 'M-880', factors: wrong });
    expect(slowed.status).toBe(422);
    expect(slowed.ms).toBeGreaterThanOrEqual(300 + 400 - 5);
    const linked = await postFrom('127.0.0.3', await token(), {
      memberId: HANAKO.memberId,
      factors: { birthDate: HANAKO.birthDate, postalCode: HANAKO.postalCode },
    });
    expect(linked.status).toBe(201);
  });

  test('the service-wide failures are spread over the shards, no single GLOBAL item', async () => {
    const items = await stack.scan('attempts');
    const shards = items.filter((i) => s(i, 'pk')!.startsWith('GLOBAL'));
    expect(shards.map((i) => s(i, 'pk')).every((pk) => /^GLOBAL#[0-3]$/.test(pk!))).toBe(true);
    expect(shards.length).toBeGreaterThan(1);
    // 4 failures + 1 locking failure from .2, 5 from .4, 1 from .6: every evaluated failure once
    expect(shards.reduce((sum, i) => sum + n(i, 'count')!, 0)).toBe(11);
  });
});
