import {
  DEFAULT_COMPANY_MEMBERS,
  DEFAULT_LINE_USERS,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import { decide } from '../../support/oauth-browser.js';
import {
  OTHER_CHANNEL,
  startTestStack,
  TEST_CHANNEL,
  THIRD_CHANNEL,
  type TestStack,
} from '../../support/test-stack.js';
import { TestBrowser } from '../../support/web-browser.js';

/**
 * Several LINE channels in one deployment (a LINE MINI App's developing/review/published
 * channels, or a LIFF app plus a separate web-login channel): tokens of every listed channel
 * link and the link and its audit events name the channel; a token of an unlisted channel is
 * refused and writes nothing; the web flow runs on LINE_LOGIN_CHANNEL_ID.
 */

const APP = 'https://app.example.com/linked';
const LISTED = [TEST_CHANNEL.channelId, THIRD_CHANNEL.channelId];

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    LINE_CHANNEL_ID: LISTED.join(','),
    // The web login runs on the second listed channel, with that channel's secret.
    LINE_LOGIN_CHANNEL_ID: THIRD_CHANNEL.channelId,
    LINE_CHANNEL_SECRET: THIRD_CHANNEL.channelSecret,
    APP_RETURN_URLS: APP,
  });
});
afterAll(() => stack.close());

let seq = 0;
function fresh() {
  seq++;
  return {
    lineUserId: testLineUserId(`links-channels-${seq}-${Date.now()}`),
    memberId: `M-CH${seq}-${Date.now()}`,
  };
}

type Item = Record<string, { S?: string }>;
const str = (item: Item, name: string) => item[name]?.S;

async function linkItems(lineUserId: string, memberId: string): Promise<Item[]> {
  return ((await stack.scan('links')) as Item[]).filter(
    (i) => str(i, 'pk') === `LINE#${lineUserId}` || str(i, 'pk') === `COMPANY#${memberId}`,
  );
}

async function auditItems(lineUserId: string): Promise<Item[]> {
  return ((await stack.scan('audit')) as Item[]).filter((i) => str(i, 'lineUserId') === lineUserId);
}

describe('several LINE channels (LINE_CHANNEL_ID is a list)', () => {
  it.each(
    LISTED.flatMap((channelId) => [
      [channelId, 'id token'],
      [channelId, 'access token'],
    ]),
  )('links with a token of listed channel %s (%s) and records the channel', async (channelId, kind) => {
    const { lineUserId, memberId } = fresh();
    const lineToken =
      kind === 'id token'
        ? await stack.line.mintIdToken({ userId: lineUserId, channelId })
        : await stack.line.mintAccessToken({ userId: lineUserId, channelId });
    const response = await call(stack.api.url, 'POST', '/links', {
      token: lineToken,
      json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ lineUserId, companyUserId: memberId, channelId });

    const items = await linkItems(lineUserId, memberId);
    expect(items).toHaveLength(2);
    for (const item of items) expect(str(item, 'channelId')).toBe(channelId);
    const events = await auditItems(lineUserId);
    expect(events.map((e) => [str(e, 'type'), str(e, 'channelId')])).toEqual([['link', channelId]]);

    // The unlink event names the channel of the token that asked for it.
    const other = LISTED.find((c) => c !== channelId)!;
    const unlink = await call(stack.api.url, 'DELETE', '/links/me', {
      token: await stack.line.mintIdToken({ userId: lineUserId, channelId: other }),
    });
    expect(unlink.status).toBe(204);
    const after = await auditItems(lineUserId);
    expect(after.find((e) => str(e, 'type') === 'unlink')?.channelId?.S).toBe(other);
  });

  it.each(['id token', 'access token'])(
    'refuses a %s of a channel that is not listed and writes nothing',
    async (kind) => {
      const { lineUserId, memberId } = fresh();
      const lineToken =
        kind === 'id token'
          ? await stack.line.mintIdToken({ userId: lineUserId, channelId: OTHER_CHANNEL.channelId })
          : await stack.line.mintAccessToken({ userId: lineUserId, channelId: OTHER_CHANNEL.channelId });
      const response = await call(stack.api.url, 'POST', '/links', {
        token: lineToken,
        json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
      });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'invalid-line-token' });
      expect(await linkItems(lineUserId, memberId)).toEqual([]);
      expect(await auditItems(lineUserId)).toEqual([]);
    },
  );

  it('runs the web flow on the login channel and records it on the link', async () => {
    const browser = new TestBrowser();
    const start = await browser.get(`${stack.api.url}/auth/line/login?returnTo=${encodeURIComponent(APP)}`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.location!);
    expect(authorize.searchParams.get('client_id')).toBe(THIRD_CHANNEL.channelId);

    const lineUserId = DEFAULT_LINE_USERS[0]!.userId;
    const member = DEFAULT_COMPANY_MEMBERS[0]!.memberId;
    const toCompany = await browser.get(await decide(start.location!, lineUserId));
    expect(toCompany.status).toBe(302);
    const done = await browser.get(await decide(toCompany.location!, member));
    expect(done.status).toBe(302);
    expect(new URL(done.location!).searchParams.get('result')).toBe('linked');

    const items = await linkItems(lineUserId, member);
    expect(items).toHaveLength(2);
    for (const item of items) expect(str(item, 'channelId')).toBe(THIRD_CHANNEL.channelId);
    expect((await auditItems(lineUserId)).map((e) => str(e, 'channelId'))).toEqual([THIRD_CHANNEL.channelId]);
  });
});
