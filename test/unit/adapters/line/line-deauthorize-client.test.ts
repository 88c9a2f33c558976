import { LineChannelTokenClient } from '../../../../functions/adapters/line/line-channel-token-client.js';
import { LineDeauthorizeClient } from '../../../../functions/adapters/line/line-deauthorize-client.js';
import { startLineFake, type LineFake } from '../../../support/line-fake.js';

let fake: LineFake;
let issued = 0;
beforeEach(async () => {
  issued = 0;
  fake = await startLineFake({
    'POST /oauth2/v3/token': () => ({
      status: 200,
      json: { token_type: 'Bearer', access_token: `login-channel-token-${++issued}`, expires_in: 900 },
    }),
    'POST /user/v1/deauthorize': () => ({ status: 204 }),
  });
});
afterEach(() => fake.close());

function client(now = { t: Date.parse('2026-11-30T00:00:00Z') }) {
  const tokens = new LineChannelTokenClient({
    apiBase: fake.url,
    channelId: '2000000001',
    channelSecret: async () => 'login-channel-secret',
    clock: { now: () => new Date(now.t) },
  });
  return { deauth: new LineDeauthorizeClient({ apiBase: fake.url, tokens }), now };
}

describe('LineDeauthorizeClient', () => {
  test('issues a stateless LINE Login channel token, caches it, and deauthorizes with the user token', async () => {
    const { deauth, now } = client();
    await deauth.deauthorize('user-access-token-A');
    await deauth.deauthorize('user-access-token-B');
    const tokenRequests = fake.requests.filter((r) => r.path === '/oauth2/v3/token');
    expect(tokenRequests).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(tokenRequests[0]!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: '2000000001',
      client_secret: 'login-channel-secret',
    });
    const calls = fake.requests.filter((r) => r.path === '/user/v1/deauthorize');
    expect(calls.map((c) => [c.headers.authorization, JSON.parse(c.body)])).toEqual([
      ['Bearer login-channel-token-1', { userAccessToken: 'user-access-token-A' }],
      ['Bearer login-channel-token-1', { userAccessToken: 'user-access-token-B' }],
    ]);
    // Near expiry (15 min minus the margin) a new token is issued.
    now.t += 15 * 60_000;
    await deauth.deauthorize('user-access-token-C');
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer login-channel-token-2');
  });

  test('a revoked channel token (401) is replaced once', async () => {
    let first = true;
    fake.routes.set('POST /user/v1/deauthorize', () => {
      if (first) {
        first = false;
        return { status: 401, json: { message: 'Authentication failed' } };
      }
      return { status: 204 };
    });
    await client().deauth.deauthorize('user-token');
    expect(issued).toBe(2);
  });

  test('LINE down → UpstreamError line-unavailable', async () => {
    fake.routes.set('POST /user/v1/deauthorize', () => ({ status: 503, json: {} }));
    await expect(client().deauth.deauthorize('user-token')).rejects.toMatchObject({
      code: 'line-unavailable',
    });
  });
});
