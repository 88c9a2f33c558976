import { LineChannelTokenClient } from '../../../../functions/adapters/line/line-channel-token-client.js';
import { LineMulticastClient } from '../../../../functions/adapters/line/line-multicast-client.js';
import { parseSendRequest, retryKeyFor } from '../../../../functions/core/member-messages.js';
import type { LinkDirectory, ReachableLink } from '../../../../functions/core/ports/index.js';
import { sendToMembers } from '../../../../functions/core/use-cases/send-messages.js';
import {
  startLineFake,
  type FakeRoute,
  type LineFake,
  type RecordedRequest,
} from '../../../support/line-fake.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const lineId = (n: number) => `U${n.toString(16).padStart(32, '0')}`;

/** Links of members M0…M(n-1); `friend` per member from `friendOf`. */
function directory(n: number, friendOf: (i: number) => boolean | null = () => true) {
  const links = new Map<string, ReachableLink>();
  for (let i = 0; i < n; i++)
    links.set(`M${i}`, {
      companyUserId: `M${i}`,
      lineUserId: lineId(i),
      method: 'oidc',
      linkedAt: '2026-11-01T00:00:00.000Z',
      friend: friendOf(i),
    });
  const batches: number[] = [];
  const dir: LinkDirectory = {
    async findManyByCompanyUserIds(ids) {
      batches.push(ids.length);
      return new Map(ids.flatMap((id) => (links.has(id) ? [[id, links.get(id)!] as const] : [])));
    },
  };
  return { dir, batches };
}

/** A fake Messaging API that accepts each retry key once (409 afterwards), like LINE. */
let fake: LineFake;
let accepted: Map<string, RecordedRequest>;
let multicast: FakeRoute;
beforeEach(async () => {
  accepted = new Map();
  multicast = (req) => {
    const key = req.headers['x-line-retry-key'] as string;
    if (key && accepted.has(key))
      return {
        status: 409,
        json: { message: 'The retry key is already accepted', sentMessages: [] },
        headers: { 'x-line-accepted-request-id': 'req-1' },
      };
    if (key) accepted.set(key, req);
    return { status: 200, json: {} };
  };
  fake = await startLineFake({
    'POST /oauth2/v3/token': () => ({
      status: 200,
      json: { token_type: 'Bearer', access_token: 'messaging-token', expires_in: 900 },
    }),
    'POST /v2/bot/message/multicast': (req) => multicast(req),
  });
});
afterEach(() => fake.close());

function sender(options: { timeoutMs?: number; maxAttempts?: number } = {}) {
  const sleeps: number[] = [];
  const client = new LineMulticastClient({
    tokens: new LineChannelTokenClient({
      apiBase: fake.url,
      channelId: '2000000002',
      channelSecret: async () => 'messaging-secret',
    }),
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    ...options,
  });
  return { client, sleeps };
}

const multicasts = () => fake.requests.filter((r) => r.path === '/v2/bot/message/multicast');
const TEXT = [{ type: 'text' as const, text: 'Hello' }];

describe('sendToMembers over the Messaging API', () => {
  test('1,200 linked friends → 3 multicast requests (500, 500, 200) with distinct UUID retry keys', async () => {
    const { dir, batches } = directory(1200);
    const to = Array.from({ length: 1200 }, (_, i) => `M${i}`);
    const { client } = sender();
    const results = await sendToMembers(
      { to, messages: TEXT },
      { links: dir, sender: client, retryKey: () => crypto.randomUUID() },
    );
    expect(results.every((r) => r.status === 'sent')).toBe(true);
    expect(batches).toEqual([500, 500, 200]);
    const calls = multicasts();
    expect(calls.map((c) => (JSON.parse(c.body) as { to: string[] }).to.length)).toEqual([500, 500, 200]);
    const keys = calls.map((c) => c.headers['x-line-retry-key'] as string);
    expect(new Set(keys).size).toBe(3);
    for (const key of keys) expect(key).toMatch(UUID);
    expect(calls[0]!.headers.authorization).toBe('Bearer messaging-token');
    expect(JSON.parse(calls[0]!.body).messages).toEqual(TEXT);
    const everyone = calls.flatMap((c) => (JSON.parse(c.body) as { to: string[] }).to);
    expect(new Set(everyone).size).toBe(1200);
  });

  test('not linked and not friends are reported and never sent; unknown friendship is sent', async () => {
    const { dir } = directory(4, (i) => (i === 1 ? false : i === 2 ? null : true));
    const { client } = sender();
    const results = await sendToMembers(
      { to: ['M0', 'M1', 'M2', 'NOPE', 'M0'], messages: TEXT },
      { links: dir, sender: client, retryKey: () => crypto.randomUUID() },
    );
    expect(results).toEqual([
      { companyUserId: 'M0', status: 'sent' },
      { companyUserId: 'M1', status: 'not-friend' },
      { companyUserId: 'M2', status: 'sent' },
      { companyUserId: 'NOPE', status: 'not-linked' },
    ]);
    expect(multicasts()).toHaveLength(1);
    expect(JSON.parse(multicasts()[0]!.body).to).toEqual([lineId(0), lineId(2)]);
  });

  test('a request retried after a timeout reuses its retry key and is not sent twice', async () => {
    const slow = multicast;
    let first = true;
    multicast = async (req) => {
      const answer = await slow(req); // LINE accepts it…
      if (first) {
        first = false;
        await new Promise((resolve) => setTimeout(resolve, 300)); // …but answers too late
      }
      return answer;
    };
    const { dir } = directory(3);
    const { client } = sender({ timeoutMs: 100 });
    const results = await sendToMembers(
      { to: ['M0', 'M1', 'M2'], messages: TEXT },
      { links: dir, sender: client, retryKey: () => crypto.randomUUID() },
    );
    expect(results.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    const calls = multicasts();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.headers['x-line-retry-key']).toBe(calls[0]!.headers['x-line-retry-key']);
    expect(accepted.size).toBe(1); // delivered once
  });

  test('429: waits Retry-After, then exponential back-off with jitter; bounded, then failed', async () => {
    let n = 0;
    const ok = multicast;
    multicast = (req) => {
      n++;
      if (n === 1)
        return { status: 429, json: { message: 'Too many requests' }, headers: { 'retry-after': '2' } };
      if (n === 2) return { status: 429, json: { message: 'Too many requests' } };
      return ok(req);
    };
    const { dir } = directory(1);
    const { client, sleeps } = sender();
    const results = await sendToMembers(
      { to: ['M0'], messages: TEXT },
      { links: dir, sender: client, retryKey: () => crypto.randomUUID() },
    );
    expect(results).toEqual([{ companyUserId: 'M0', status: 'sent' }]);
    expect(sleeps).toEqual([2000, 500]); // Retry-After 2 s; then 0.5 × (500 × 2^1)
    expect(new Set(multicasts().map((c) => c.headers['x-line-retry-key'])).size).toBe(1);

    // Always 429: a bounded number of tries, then the members are reported failed.
    multicast = () => ({ status: 429, json: { message: 'Too many requests' } });
    const always = sender({ maxAttempts: 4 });
    const failed = await sendToMembers(
      { to: ['M0'], messages: TEXT },
      { links: dir, sender: always.client, retryKey: () => crypto.randomUUID() },
    );
    expect(failed).toEqual([{ companyUserId: 'M0', status: 'failed' }]);
    expect(always.sleeps).toHaveLength(3);
  });

  test('a 400 from LINE is final: no retry, members failed', async () => {
    multicast = () => ({ status: 400, json: { message: 'The request body has 1 error(s)', details: [] } });
    const { dir } = directory(2);
    const { client, sleeps } = sender();
    const results = await sendToMembers(
      { to: ['M0', 'M1'], messages: TEXT },
      { links: dir, sender: client, retryKey: () => crypto.randomUUID() },
    );
    expect(results.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(sleeps).toEqual([]);
  });
});

describe('send requests', () => {
  test.each([
    ['an empty recipient list', { to: [], messages: TEXT }, 'to'],
    ['no messages', { to: ['M1'], messages: [] }, 'messages'],
    ['six messages', { to: ['M1'], messages: Array(6).fill(TEXT[0]) }, 'messages'],
    ['an unknown message type', { to: ['M1'], messages: [{ type: 'fax', text: 'x' }] }, 'messages.0.type'],
    ['a text message without text', { to: ['M1'], messages: [{ type: 'text' }] }, 'messages.0'],
    ['a recipient that is not an ID', { to: ['a b'], messages: TEXT }, 'to.0'],
  ])('%s → invalid-request naming the field', (_label, body, path) => {
    let error: unknown;
    try {
      parseSendRequest(body);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'invalid-request' });
    expect((error as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toContain(path);
  });

  test('retry keys of job batches are stable version-5 UUIDs', () => {
    expect(retryKeyFor('job-1:0')).toBe(retryKeyFor('job-1:0'));
    expect(retryKeyFor('job-1:0')).not.toBe(retryKeyFor('job-1:1'));
    expect(retryKeyFor('job-1:0')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
