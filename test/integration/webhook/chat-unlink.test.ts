import { DEFAULT_BOT_TEXTS } from '../../../functions/core/bot-texts.js';
import {
  MESSAGING_CHANNEL_ID,
  MESSAGING_CHANNEL_SECRET,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import type { ActionResult } from '../../../functions/local/emulators/line-user-actions.js';
import { call } from '../../support/http.js';
import { s } from '../../support/member-data.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * Unlinking from the chat, against DynamoDB Local and the LINE emulator: the unlink keyword gets
 * a confirmation question with "yes" / "no" quick replies; "yes" removes the link with its audit
 * events and says what happened (deauthorize is not possible from a chat); "no", a user who is
 * not linked, a redelivered "yes" and a stale "yes" change nothing.
 */

const TEXTS = DEFAULT_BOT_TEXTS.en;
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    LINE_MESSAGING_CHANNEL_ID: MESSAGING_CHANNEL_ID,
    LINE_MESSAGING_CHANNEL_SECRET: MESSAGING_CHANNEL_SECRET,
    LINE_UNLINK_POSTBACK_DATA: 'action=unlink',
  });
  stack.line.messaging.webhookUrl = `${stack.api.url}/webhook/line`;
});
afterAll(() => stack.close());

async function delivered(result: ActionResult) {
  if (!('delivery' in result)) throw new Error(`no event sent: ${result.skipped}`);
  expect(result.delivery.status).toBe(200);
  await stack.webhookWorkDone();
}

/** The newest reply to the user. */
function lastReply(userId: string): Record<string, unknown> {
  const replies = stack.line.messaging.sent.filter((m) => m.to === userId && m.kind === 'reply');
  return replies.at(-1)!.message;
}

/** The postback data of the question's quick-reply buttons. */
function answers(userId: string): { yes: string; no: string } {
  const question = lastReply(userId) as {
    text: string;
    quickReply: { items: Array<{ action: { label: string; data: string } }> };
  };
  expect(question.text).toBe(TEXTS.unlinkConfirm);
  const [yes, no] = question.quickReply.items.map((item) => item.action);
  expect([yes!.label, no!.label]).toEqual([TEXTS.unlinkYesLabel, TEXTS.unlinkNoLabel]);
  return { yes: yes!.data, no: no!.data };
}

let seq = 0;
async function linkedFriend(label: string) {
  const userId = testLineUserId(`chat-unlink-${label}`);
  const memberId = `M-CHAT-UNLINK-${label}-${++seq}`;
  const idToken = await stack.line.mintIdToken({ userId });
  const created = await call(stack.api.url, 'POST', '/links', {
    token: idToken,
    json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
  });
  expect(created.status).toBe(201);
  await delivered(await stack.line.messaging.follow(userId));
  const linked = async () =>
    (await call(stack.api.url, 'GET', '/links/me', { token: idToken })).status === 200;
  return { userId, memberId, idToken, linked };
}

async function auditOf(userId: string, type: string) {
  return (await stack.scan('audit')).filter((i) => s(i, 'pk') === `LINE#${userId}` && s(i, 'type') === type);
}

describe('unlinking from the LINE chat', () => {
  it('keyword → question; "no" keeps the link; "yes" removes it, audits it and says what happened', async () => {
    const user = await linkedFriend('yes');
    await delivered(await stack.line.messaging.sendText(user.userId, 'Unlink'));
    const first = answers(user.userId);
    await delivered(await stack.line.messaging.postback(user.userId, first.no, TEXTS.unlinkNoLabel));
    expect(lastReply(user.userId)).toMatchObject({ type: 'text', text: TEXTS.unlinkCancelled });
    expect(await user.linked()).toBe(true);

    // The postback of a rich menu asks the same question.
    await delivered(await stack.line.messaging.postback(user.userId, 'action=unlink'));
    const { yes } = answers(user.userId);
    await delivered(await stack.line.messaging.postback(user.userId, yes, TEXTS.unlinkYesLabel));
    expect(await user.linked()).toBe(false);
    expect((await call(stack.api.url, 'GET', '/links/me', { token: user.idToken })).status).toBe(404);
    const reply = lastReply(user.userId) as { text: string };
    expect(reply.text).toBe(TEXTS.unlinked);
    expect(reply.text).not.toMatch(/deauthorized|has been withdrawn/i);
    expect((await auditOf(user.userId, 'unlink')).map((e) => s(e, 'companyUserId'))).toEqual([user.memberId]);
    expect((await auditOf(user.userId, 'deauthorize')).map((e) => [s(e, 'code'), s(e, 'detail')])).toEqual([
      ['deauthorize-not-possible', 'no-access-token'],
    ]);
  });

  it('a redelivered "yes" changes nothing twice; a second tap is told there is no link', async () => {
    const user = await linkedFriend('redelivered');
    await delivered(await stack.line.messaging.sendText(user.userId, 'unlink'));
    await delivered(await stack.line.messaging.postback(user.userId, answers(user.userId).yes));
    const yesEvent = stack.line.messaging.deliveries.at(-1)!.events[0]!;
    const replies = stack.line.messaging.sent.length;
    const again = await stack.line.messaging.deliver([
      { ...yesEvent, deliveryContext: { isRedelivery: true } },
    ]);
    expect(again.status).toBe(200);
    await stack.webhookWorkDone();
    expect(stack.line.messaging.sent.length).toBe(replies);
    expect(await auditOf(user.userId, 'unlink')).toHaveLength(1);
    expect(await auditOf(user.userId, 'deauthorize')).toHaveLength(1);

    const postback = yesEvent as unknown as { postback: { data: string } };
    await delivered(await stack.line.messaging.postback(user.userId, postback.postback.data));
    expect(lastReply(user.userId)).toMatchObject({ text: TEXTS.notLinked });
    expect(await auditOf(user.userId, 'unlink')).toHaveLength(1);
  });

  it('a user who is not linked is told so, with no question', async () => {
    const userId = testLineUserId('chat-unlink-none');
    await delivered(await stack.line.messaging.follow(userId));
    await delivered(await stack.line.messaging.sendText(userId, '連携解除'));
    expect(lastReply(userId)).toEqual({ type: 'text', text: TEXTS.notLinked });
  });

  it('a "yes" to a question about an earlier link removes nothing of the newer one', async () => {
    const user = await linkedFriend('stale');
    await delivered(await stack.line.messaging.sendText(user.userId, 'unlink'));
    const { yes } = answers(user.userId);
    // Unlinked and linked again (the same member) before tapping the old "yes".
    expect((await call(stack.api.url, 'DELETE', '/links/me', { token: user.idToken })).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const relinked = await call(stack.api.url, 'POST', '/links', {
      token: user.idToken,
      json: { companyIdToken: await stack.company.mintIdToken({ sub: user.memberId }) },
    });
    expect(relinked.status).toBe(201);
    await delivered(await stack.line.messaging.postback(user.userId, yes));
    expect(lastReply(user.userId)).toMatchObject({ text: TEXTS.unlinkExpired });
    expect(await user.linked()).toBe(true);
    expect(await auditOf(user.userId, 'unlink')).toHaveLength(1);
  });
});
