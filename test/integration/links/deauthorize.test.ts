import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import { startLineFake, type LineFake } from '../../support/line-fake.js';
import { s } from '../../support/member-data.js';
import { OTHER_CHANNEL, startTestStack, TEST_CHANNEL, type TestStack } from '../../support/test-stack.js';

/**
 * LINE's token and deauthorize endpoints are played by an in-test fake; everything else
 * (JWKS, verify, profile) is forwarded to the LINE emulator.
 */
let stack: TestStack;
let fake: LineFake;
let deauthorizeStatus = 204;
beforeAll(async () => {
  // A LIFF app on a second channel beside the LINE Login channel whose secret the service holds.
  stack = await startTestStack({ LINE_CHANNEL_ID: `${TEST_CHANNEL.channelId},${OTHER_CHANNEL.channelId}` });
  fake = await startLineFake(
    {
      'POST /oauth2/v3/token': () => ({
        status: 200,
        json: { token_type: 'Bearer', access_token: 'login-channel-access-token', expires_in: 900 },
      }),
      'POST /user/v1/deauthorize': () => ({ status: deauthorizeStatus }),
    },
    stack.line.url,
  );
  // Before the first request: handlers read the configuration at cold start.
  stack.configure({ LINE_API_BASE: fake.url });
});
afterAll(async () => {
  await stack.close();
  await fake.close();
});

async function linkedUser(label: string) {
  const lineUserId = testLineUserId(`deauth-${label}-${Date.now()}`);
  const memberId = `M-DEAUTH-${label}-${Date.now()}`;
  const idToken = await stack.line.mintIdToken({ userId: lineUserId });
  const created = await call(stack.api.url, 'POST', '/links', {
    token: idToken,
    json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
  });
  expect(created.status).toBe(201);
  return {
    lineUserId,
    memberId,
    idToken,
    accessToken: await stack.line.mintAccessToken({ userId: lineUserId }),
  };
}

async function deauthorizeEvents(lineUserId: string) {
  return (await stack.scan('audit')).filter(
    (i) => s(i, 'pk') === `LINE#${lineUserId}` && s(i, 'type') === 'deauthorize',
  );
}

describe('DELETE /links/me deauthorizes at LINE', () => {
  test('with an access token: LINE Login channel token + the user access token, audited', async () => {
    const user = await linkedUser('ok');
    const before = fake.requests.length;
    const response = await call(stack.api.url, 'DELETE', '/links/me', { token: user.accessToken });
    expect(response.status).toBe(204);
    expect(response.headers.get('unlink-result')).toBe('deauthorized');
    const calls = fake.requests.slice(before);
    const token = calls.find((r) => r.path === '/oauth2/v3/token');
    expect(Object.fromEntries(new URLSearchParams(token!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: TEST_CHANNEL.channelId,
      client_secret: TEST_CHANNEL.channelSecret,
    });
    const deauth = calls.filter((r) => r.path === '/user/v1/deauthorize');
    expect(deauth).toHaveLength(1);
    expect(deauth[0]!.headers.authorization).toBe('Bearer login-channel-access-token');
    expect(JSON.parse(deauth[0]!.body)).toEqual({ userAccessToken: user.accessToken });
    const events = await deauthorizeEvents(user.lineUserId);
    expect(events.map((e) => s(e, 'code'))).toEqual(['deauthorized']);
    expect(JSON.stringify(await stack.scan('audit'))).not.toContain(user.accessToken);
  });

  test('LINE down: the link is gone anyway, deauthorize retried a bounded number of times, failure audited', async () => {
    const user = await linkedUser('down');
    deauthorizeStatus = 503;
    try {
      const before = fake.requests.length;
      const response = await call(stack.api.url, 'DELETE', '/links/me', { token: user.accessToken });
      expect(response.status).toBe(204);
      expect(response.headers.get('unlink-result')).toBe('deauthorize-failed');
      expect(fake.requests.slice(before).filter((r) => r.path === '/user/v1/deauthorize')).toHaveLength(3);
      expect((await call(stack.api.url, 'GET', '/links/me', { token: user.idToken })).status).toBe(404);
      expect((await deauthorizeEvents(user.lineUserId)).map((e) => s(e, 'code'))).toEqual([
        'deauthorize-failed',
      ]);
    } finally {
      deauthorizeStatus = 204;
    }
  });

  test('with only an ID token: unlinked, LINE not asked, the audit says deauthorize was not possible', async () => {
    const user = await linkedUser('id');
    const before = fake.requests.length;
    const response = await call(stack.api.url, 'DELETE', '/links/me', { token: user.idToken });
    expect(response.status).toBe(204);
    expect(response.headers.get('unlink-result')).toBe('deauthorize-not-possible');
    expect(fake.requests.slice(before).filter((r) => r.path === '/user/v1/deauthorize')).toHaveLength(0);
    const events = await deauthorizeEvents(user.lineUserId);
    expect(events.map((e) => [s(e, 'code'), s(e, 'detail')])).toEqual([
      ['deauthorize-not-possible', 'no-access-token'],
    ]);
    const again = await call(stack.api.url, 'DELETE', '/links/me', { token: user.idToken });
    expect(again.status).toBe(204);
    expect(again.headers.get('unlink-result')).toBe('not-linked');
    expect(await deauthorizeEvents(user.lineUserId)).toHaveLength(1);
  });

  test("an access token of another channel: never sent with the LINE Login channel's token; audited why", async () => {
    const user = await linkedUser('other-channel');
    const accessToken = await stack.line.mintAccessToken({
      userId: user.lineUserId,
      channelId: OTHER_CHANNEL.channelId,
    });
    const before = fake.requests.length;
    const response = await call(stack.api.url, 'DELETE', '/links/me', { token: accessToken });
    expect(response.status).toBe(204);
    expect(response.headers.get('unlink-result')).toBe('deauthorize-not-possible');
    expect(fake.requests.slice(before).filter((r) => r.path === '/user/v1/deauthorize')).toHaveLength(0);
    expect((await call(stack.api.url, 'GET', '/links/me', { token: user.idToken })).status).toBe(404);
    const events = await deauthorizeEvents(user.lineUserId);
    expect(events.map((e) => [s(e, 'code'), s(e, 'detail')])).toEqual([
      ['deauthorize-not-possible', 'channel-not-configured'],
    ]);
  });
});
