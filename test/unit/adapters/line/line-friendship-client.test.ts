import { UpstreamError } from '../../../../functions/core/errors.js';
import { LineFriendshipClient } from '../../../../functions/adapters/line/line-friendship-client.js';

/** A stand-in for LINE's `GET /friendship/v1/status`: records the request, answers as told. */
function fakeLine(answer: { status: number; body?: unknown }) {
  const calls: Array<{ url: string; authorization: string | null }> = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
    return new Response(answer.body === undefined ? '' : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { calls, fetch };
}

const client = (fetch: ReturnType<typeof fakeLine>['fetch']) =>
  new LineFriendshipClient({ apiBase: 'https://line.example', timeoutMs: 500, fetch });

describe('LineFriendshipClient', () => {
  it.each([true, false])('asks with the user’s own access token and returns friendFlag %s', async (flag) => {
    const line = fakeLine({ status: 200, body: { friendFlag: flag } });
    await expect(client(line.fetch).isFriend('user-access-token')).resolves.toBe(flag);
    expect(line.calls).toEqual([
      { url: 'https://line.example/friendship/v1/status', authorization: 'Bearer user-access-token' },
    ]);
  });

  it.each([
    ['a 5xx', 'line-unavailable', 500, { message: 'down' }],
    ['a 429', 'line-unavailable', 429, { message: 'slow down' }],
    ['a 401 (a token LINE refuses)', 'line-bad-response', 401, { message: 'invalid token' }],
    ['a 200 without friendFlag', 'line-bad-response', 200, { friend: true }],
    ['a 200 whose friendFlag is not a boolean', 'line-bad-response', 200, { friendFlag: 'true' }],
  ])('%s is an UpstreamError %s', async (_, code, status, body) => {
    const error = await client(fakeLine({ status, body }).fetch)
      .isFriend('t')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe(code);
  });

  it('no answer at all is line-unavailable', async () => {
    const failing = new LineFriendshipClient({
      apiBase: 'https://line.example',
      timeoutMs: 500,
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    await expect(failing.isFriend('t')).rejects.toMatchObject({ code: 'line-unavailable' });
  });
});
