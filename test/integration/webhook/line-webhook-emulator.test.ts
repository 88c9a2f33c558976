import {
  DEFAULT_COMPANY_MEMBERS,
  MESSAGING_CHANNEL_ID,
  MESSAGING_CHANNEL_SECRET,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import type { SentMessage } from '../../../functions/local/emulators/line-messaging.js';
import { call } from '../../support/http.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * The service's `POST /webhook/line` fed by the LINE Platform emulator (real signatures, real
 * Messaging API calls back to the emulator), without a browser: what reaches the chat after
 * follow, keywords and unfollow, and how `friend` follows them on a link. Replies are the
 * webhook's queued work, done after its answer: each delivery waits for that work.
 */

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    LINE_MESSAGING_CHANNEL_ID: MESSAGING_CHANNEL_ID,
    LINE_MESSAGING_CHANNEL_SECRET: MESSAGING_CHANNEL_SECRET,
  });
  stack.line.messaging.webhookUrl = `${stack.api.url}/webhook/line`;
});

afterAll(async () => {
  await stack.close();
});

const repliesTo = (userId: string): SentMessage[] =>
  stack.line.messaging.sent.filter((s) => s.to === userId && s.kind === 'reply');

/** The linking URLs in a message (text or template URI actions). */
function linkingUrls(message: Record<string, unknown>): URL[] {
  const found = JSON.stringify(message).match(/https?:\/\/[^"\s]+\/account-link\/start\?linkToken=[^"\s]+/g);
  return (found ?? []).map((u) => new URL(u));
}

/** The event reached the webhook (200); then the LINE work it queued is waited for. */
async function expectDelivered(result: Awaited<ReturnType<TestStack['line']['messaging']['follow']>>) {
  if (!('delivery' in result)) throw new Error(`no event sent: ${result.skipped}`);
  expect(result.delivery.status).toBe(200);
  await stack.webhookWorkDone();
}

describe('POST /webhook/line fed by the LINE emulator', () => {
  it('answers LINE’s URL verification with 200', async () => {
    expect((await stack.line.messaging.verifyWebhook()).status).toBe(200);
  });

  it('follow → a reply with the linking URL (a fresh link token) and the unlink sentence', async () => {
    const userId = testLineUserId('webhook-follow');
    await expectDelivered(await stack.line.messaging.follow(userId));
    const [reply] = repliesTo(userId);
    expect(reply).toBeDefined();
    expect(reply!.delivered).toBe(true);
    const urls = repliesTo(userId).flatMap((r) => linkingUrls(r.message));
    expect(urls.length).toBeGreaterThan(0);
    expect(urls[0]!.origin).toBe(new URL(stack.env().PUBLIC_BASE_URL!).origin);
    expect(urls[0]!.searchParams.get('linkToken')).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(JSON.stringify(repliesTo(userId).map((r) => r.message))).toMatch(/unlink/i);
  });

  it('the link keyword asks for the linking URL again; other text does not', async () => {
    const userId = testLineUserId('webhook-keyword');
    await expectDelivered(await stack.line.messaging.follow(userId));
    const afterFollow = repliesTo(userId).length;
    await expectDelivered(await stack.line.messaging.sendText(userId, 'link'));
    const keywordReplies = repliesTo(userId).slice(afterFollow);
    expect(keywordReplies.flatMap((r) => linkingUrls(r.message)).length).toBeGreaterThan(0);
    const before = repliesTo(userId).length;
    await expectDelivered(await stack.line.messaging.sendText(userId, 'hello there'));
    expect(
      repliesTo(userId)
        .slice(before)
        .flatMap((r) => linkingUrls(r.message)),
    ).toEqual([]);
  });

  it('a redelivered follow (same webhookEventId) is applied once: one reply', async () => {
    const userId = testLineUserId('webhook-redelivery');
    await expectDelivered(await stack.line.messaging.follow(userId)); // a friend: link tokens can be issued
    // A newer follow than the one above (an older one would be ignored: events apply in time order).
    const follow = stack.line.messaging.buildEvent('follow', userId, {
      timestamp: Date.now() + 1000,
      replyToken: stack.line.messaging.replyToken(userId),
      follow: { isUnblocked: false },
    });
    const before = repliesTo(userId).length;
    expect((await stack.line.messaging.deliver([follow])).status).toBe(200);
    await stack.webhookWorkDone();
    const once = repliesTo(userId).length;
    expect(once).toBe(before + 1);
    const again = { ...follow, deliveryContext: { isRedelivery: true } };
    expect((await stack.line.messaging.deliver([again])).status).toBe(200);
    await stack.webhookWorkDone();
    expect(repliesTo(userId).length).toBe(once);
  });

  it('follow / unfollow / follow again set friend on an existing link', async () => {
    const userId = testLineUserId('webhook-friend');
    const member = DEFAULT_COMPANY_MEMBERS[4]!;
    const lineToken = () => stack.line.mintIdToken({ userId });
    const linked = await call(stack.api.url, 'POST', '/links', {
      token: await lineToken(),
      json: { companyIdToken: await stack.company.mintIdToken({ sub: member.memberId }) },
    });
    expect(linked.status).toBe(201);
    const friend = async () =>
      (
        (await call(stack.api.url, 'GET', '/links/me', { token: await lineToken() })).body as {
          friend: unknown;
        }
      ).friend;

    await expectDelivered(await stack.line.messaging.follow(userId));
    expect(await friend()).toBe(true);
    await expectDelivered(await stack.line.messaging.unfollow(userId));
    expect(await friend()).toBe(false);
    await expectDelivered(await stack.line.messaging.follow(userId));
    expect(stack.line.messaging.deliveries.at(-1)!.events[0]).toMatchObject({
      follow: { isUnblocked: true },
    });
    expect(await friend()).toBe(true);

    // An unfollow older than the last follow, delivered late, changes nothing.
    const late = stack.line.messaging.buildEvent('unfollow', userId, { timestamp: Date.now() - 60_000 });
    expect((await stack.line.messaging.deliver([late])).status).toBe(200);
    await stack.webhookWorkDone();
    expect(await friend()).toBe(true);
  });
});
