import { CompanyVerificationApiClient } from '../../../../functions/adapters/company/company-verification-api-client.js';
import type { CompanyApiConfig } from '../../../../functions/config.js';
import { ManualClock } from '../../../support/member-fakes.js';

type Reply = { status: number; body?: unknown; raw?: string } | 'timeout' | 'reset' | 'cut';

/** A fetch that answers from per-URL queues and records the requests. */
function fakeFetch(replies: Record<string, Reply[]>) {
  const requests: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
  const fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    requests.push({
      url,
      headers: { ...(init?.headers as Record<string, string>) },
      body: String(init?.body ?? ''),
    });
    const reply = replies[url]?.shift() ?? { status: 599 };
    if (reply === 'reset') throw new TypeError('fetch failed');
    if (reply === 'cut') {
      // 200 and the headers, then the connection drops in the middle of the body.
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"verified": tr'));
          controller.error(new TypeError('terminated'));
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    }
    if (reply === 'timeout') {
      return new Promise((_, reject) => {
        const signal = init?.signal;
        signal?.addEventListener('abort', () => reject(signal.reason));
      });
    }
    return new Response(reply.raw ?? JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { fetch, requests };
}

const API = 'https://company.example/api/members/verify';
const TOKEN = 'https://company.example/token';
const oauth: CompanyApiConfig = {
  url: API,
  timeoutMs: 50,
  auth: 'oauth',
  tokenUrl: TOKEN,
  clientId: 'line id+link',
};
const apiKey: CompanyApiConfig = { url: API, timeoutMs: 50, auth: 'api-key', keyHeader: 'x-api-key' };
const tokenReply = (token = 'tok-1', expires_in = 3600): Reply => ({
  status: 200,
  body: { access_token: token, token_type: 'Bearer', expires_in },
});
const YES: Reply = { status: 200, body: { verified: true, companyUserId: 'C-1' } };
const NO: Reply = { status: 200, body: { verified: false } };
const member = { memberId: 'M-1', factors: { birthDate: '1990-04-12' } };

function client(config: CompanyApiConfig, replies: Record<string, Reply[]>, clock = new ManualClock()) {
  const f = fakeFetch(replies);
  const c = new CompanyVerificationApiClient({
    config,
    secret: async () => 's3cret:/&',
    fetch: f.fetch,
    clock,
    retryDelayMs: 1,
  });
  return { c, requests: f.requests, clock };
}

describe('CompanyVerificationApiClient', () => {
  test('client credentials with client_secret_basic, then the documented request; token cached until expiry minus margin', async () => {
    const { c, requests, clock } = client(oauth, {
      [TOKEN]: [tokenReply('tok-1', 3600), tokenReply('tok-2')],
      [API]: [YES, NO, YES],
    });
    await expect(c.verifyMember(member)).resolves.toEqual({ verified: true, companyUserId: 'C-1' });
    await expect(c.verifyMember(member)).resolves.toEqual({ verified: false });
    const [token, call] = requests;
    expect(token!.body).toBe('grant_type=client_credentials');
    expect(Buffer.from(token!.headers.authorization!.replace('Basic ', ''), 'base64').toString()).toBe(
      'line+id%2Blink:s3cret%3A%2F%26',
    );
    expect(call!.headers.authorization).toBe('Bearer tok-1');
    expect(JSON.parse(call!.body)).toEqual(member);
    expect(requests.filter((r) => r.url === TOKEN)).toHaveLength(1);
    clock.advance(3600 - 59);
    await c.verifyMember(member);
    expect(requests.filter((r) => r.url === TOKEN)).toHaveLength(2);
    expect(requests.at(-1)!.headers.authorization).toBe('Bearer tok-2');
  });

  test('concurrent callers share one token request', async () => {
    const { c, requests } = client(oauth, { [TOKEN]: [tokenReply()], [API]: [YES, YES, YES] });
    await Promise.all([c.verifyMember(member), c.verifyMember(member), c.verifyMember(member)]);
    expect(requests.filter((r) => r.url === TOKEN)).toHaveLength(1);
  });

  test('a 401 from the API renews the token once', async () => {
    const { c, requests } = client(oauth, {
      [TOKEN]: [tokenReply('old'), tokenReply('new')],
      [API]: [{ status: 401 }, YES],
    });
    await expect(c.verifyMember(member)).resolves.toMatchObject({ verified: true });
    expect(requests.at(-1)!.headers.authorization).toBe('Bearer new');
    expect(requests.filter((r) => r.url === API)).toHaveLength(2);
    expect(requests.filter((r) => r.url === TOKEN)).toHaveLength(2);
  });

  test('a 401 with the renewed token is the answer: no second renewal, no third call, company-api-bad-response', async () => {
    // Replies are queued past the give-up point, so a client that renewed again would succeed.
    const { c, requests } = client(oauth, {
      [TOKEN]: [tokenReply('old'), tokenReply('new'), tokenReply('newer')],
      [API]: [{ status: 401 }, { status: 401 }, YES],
    });
    await expect(c.verifyMember(member)).rejects.toMatchObject({ code: 'company-api-bad-response' });
    expect(requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      [TOKEN, expect.stringMatching(/^Basic /)],
      [API, 'Bearer old'],
      [TOKEN, expect.stringMatching(/^Basic /)],
      [API, 'Bearer new'],
    ]);
  });

  test('a 401 renewal is the one repeat: a 401 then a 5xx is two calls, a 5xx then a 401 is two calls and no renewal', async () => {
    const first = client(oauth, {
      [TOKEN]: [tokenReply('old'), tokenReply('new'), tokenReply('newer')],
      [API]: [{ status: 401 }, { status: 500 }, YES],
    });
    await expect(first.c.verifyMember(member)).rejects.toMatchObject({ code: 'company-api-unavailable' });
    expect(first.requests.filter((r) => r.url === API)).toHaveLength(2);

    const second = client(oauth, {
      [TOKEN]: [tokenReply('old'), tokenReply('new')],
      [API]: [{ status: 500 }, { status: 401 }, YES],
    });
    await expect(second.c.verifyMember(member)).rejects.toMatchObject({ code: 'company-api-bad-response' });
    expect(second.requests.filter((r) => r.url === API)).toHaveLength(2);
    expect(second.requests.filter((r) => r.url === TOKEN)).toHaveLength(1);
  });

  test("within the caller's time: the first call leaves room for the retry, so two timeouts are two calls in that time", async () => {
    const slow = { ...apiKey, timeoutMs: 5000 };
    const { c, requests } = client(slow, { [API]: ['timeout', 'timeout', YES] });
    const started = performance.now();
    const result = c.verifyMember({ ...member, within: { ms: 400, signal: new AbortController().signal } });
    await expect(result).rejects.toMatchObject({ code: 'company-api-unavailable' });
    const elapsed = performance.now() - started;
    expect(requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(395);
    expect(elapsed).toBeLessThan(600);
  });

  test('once the caller gives up, the call in flight is abandoned and nothing more is sent', async () => {
    const slow = { ...apiKey, timeoutMs: 5000 };
    const { c, requests } = client(slow, { [API]: ['timeout', YES] });
    const giveUp = new AbortController();
    const result = c.verifyMember({ ...member, within: { ms: 10_000, signal: giveUp.signal } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    giveUp.abort();
    await expect(result).rejects.toMatchObject({ code: 'company-api-unavailable' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests).toHaveLength(1);
  });

  test('API key in the configured header', async () => {
    const { c, requests } = client(apiKey, { [API]: [YES] });
    await c.verifyMember(member);
    expect(requests[0]!.headers['x-api-key']).toBe('s3cret:/&');
    expect(requests[0]!.headers.authorization).toBeUndefined();
  });

  test.each<[string, Reply[], number, string]>([
    ['one 500 then success', [{ status: 500 }, YES], 2, 'ok'],
    ['one timeout then success', ['timeout', YES], 2, 'ok'],
    ['two 5xx', [{ status: 503 }, { status: 502 }], 2, 'company-api-unavailable'],
    ['two timeouts', ['timeout', 'timeout'], 2, 'company-api-unavailable'],
    ['connection resets', ['reset', 'reset'], 2, 'company-api-unavailable'],
    ['a 5xx, then a timeout: no third call', [{ status: 500 }, 'timeout', YES], 2, 'company-api-unavailable'],
    ['429 (an answer: not retried)', [{ status: 429 }, YES], 1, 'company-api-unavailable'],
    [
      'garbage (not retried)',
      [{ status: 200, raw: '<html>oops</html>' }, YES],
      1,
      'company-api-bad-response',
    ],
    [
      'broken JSON (not retried)',
      [{ status: 200, raw: '{"verified": true,' }, YES],
      1,
      'company-api-bad-response',
    ],
    ['a body cut off after the 200 (not retried)', ['cut', YES], 1, 'company-api-bad-response'],
    ['400 (not retried)', [{ status: 400 }, YES], 1, 'company-api-bad-response'],
    [
      'verified without companyUserId',
      [{ status: 200, body: { verified: true } }],
      1,
      'company-api-bad-response',
    ],
    [
      'verified as a string',
      [{ status: 200, body: { verified: 'yes', companyUserId: 'C-1' } }],
      1,
      'company-api-bad-response',
    ],
    ['404 (wrong URL)', [{ status: 404, body: { verified: false } }], 1, 'company-api-bad-response'],
    ['403 (our key refused)', [{ status: 403 }], 1, 'company-api-bad-response'],
  ])('%s', async (_name, replies, calls, outcome) => {
    const { c, requests } = client(apiKey, { [API]: replies });
    const result = await c.verifyMember(member).then(
      () => 'ok',
      (e: { code?: string }) => e.code,
    );
    expect(result).toBe(outcome);
    expect(requests).toHaveLength(calls);
  });

  test('token endpoint down → unavailable; credentials refused → bad response', async () => {
    const down = client(oauth, { [TOKEN]: [{ status: 500 }, 'timeout'] });
    await expect(down.c.verifyMember(member)).rejects.toMatchObject({ code: 'company-api-unavailable' });
    const refused = client(oauth, { [TOKEN]: [{ status: 401, body: { error: 'invalid_client' } }] });
    await expect(refused.c.verifyMember(member)).rejects.toMatchObject({ code: 'company-api-bad-response' });
    expect(refused.requests).toHaveLength(1);
  });

  test('errors never carry the factors, the token or the secret', async () => {
    const { c } = client(apiKey, { [API]: [{ status: 200, raw: 'x' }] });
    const error = await c.verifyMember(member).catch((e: Error) => e);
    expect(JSON.stringify({ m: String(error), c: String((error as Error).cause) })).not.toMatch(
      /1990|s3cret/,
    );
  });

  test.each([
    ['verified', { verified: true, companyUserId: 'C-2', memberId: 'M-2' }],
    ['not verified', { verified: false, memberId: 'M-2' }],
  ])('an answer (%s) about another memberId is refused: company-api-bad-response', async (_, body) => {
    const { c } = client(apiKey, { [API]: [{ status: 200, body }] });
    await expect(c.verifyMember(member)).rejects.toMatchObject({ code: 'company-api-bad-response' });
  });

  test('an answer that names the member asked is accepted', async () => {
    const { c } = client(apiKey, {
      [API]: [{ status: 200, body: { verified: true, companyUserId: 'C-1', memberId: 'M-1' } }],
    });
    await expect(c.verifyMember(member)).resolves.toEqual({ verified: true, companyUserId: 'C-1' });
  });
});
