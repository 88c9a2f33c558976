import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * The audit trail replays to the table (DESIGN.md, "Faults and replays"): under any interleaving
 * of parallel links and unlinks of one pair, its `link` events minus its `unlink` events are 1
 * when the pair ends linked and 0 when not, and every unlink that removed a link has exactly one
 * deauthorize record. Real handlers, DynamoDB Local, LINE and company IdP emulators.
 */

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

const str = (value: unknown) => (value as { S?: string } | undefined)?.S;

async function trailOf(lineUserId: string) {
  const events = (await stack.scan('audit')).filter((item) => str(item.lineUserId) === lineUserId);
  const count = (type: string) => events.filter((item) => str(item.type) === type).length;
  return { link: count('link'), unlink: count('unlink'), deauthorize: count('deauthorize') };
}

async function linked(lineUserId: string): Promise<boolean> {
  return (await stack.scan('links')).some((item) => str(item.pk) === `LINE#${lineUserId}`);
}

it('3 rounds of 10 unlinks and 10 relinks of one pair in parallel: link − unlink events = linked ? 1 : 0', async () => {
  const lineUserId = testLineUserId(`audit-replay-${Date.now()}`);
  const memberId = `M-REPLAY-${Date.now()}`;
  const lineToken = await stack.line.mintIdToken({ userId: lineUserId });
  const relink = async () =>
    call(stack.api.url, 'POST', '/links', {
      token: lineToken,
      json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
    });
  const unlink = () => call(stack.api.url, 'DELETE', '/links/me', { token: lineToken });

  expect((await relink()).status).toBe(201);
  for (let round = 0; round < 3; round++) {
    const requests = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? unlink() : relink()));
    const statuses = (await Promise.all(requests)).map((r) => r.status);
    // Every unlink is a 204 (also when there was nothing left to remove); every link 201 or 200.
    expect(statuses.filter((_, i) => i % 2 === 0).every((s) => s === 204)).toBe(true);
    expect(statuses.filter((_, i) => i % 2 === 1).every((s) => s === 201 || s === 200 || s === 503)).toBe(
      true,
    );
    const trail = await trailOf(lineUserId);
    expect(trail.link - trail.unlink).toBe((await linked(lineUserId)) ? 1 : 0);
    // One deauthorize record (here: not possible with an ID token) per unlink that removed a link.
    expect(trail.deauthorize).toBe(trail.unlink);
  }
});

it('ten parallel unlinks of one link: one unlink event, nine that removed nothing record nothing', async () => {
  const lineUserId = testLineUserId(`audit-unlink-${Date.now()}`);
  const lineToken = await stack.line.mintIdToken({ userId: lineUserId });
  const created = await call(stack.api.url, 'POST', '/links', {
    token: lineToken,
    json: { companyIdToken: await stack.company.mintIdToken({ sub: `M-TEN-${Date.now()}` }) },
  });
  expect(created.status).toBe(201);
  const statuses = await Promise.all(
    Array.from({ length: 10 }, () => call(stack.api.url, 'DELETE', '/links/me', { token: lineToken })),
  );
  expect(statuses.map((r) => r.status)).toEqual(Array(10).fill(204));
  expect(await trailOf(lineUserId)).toEqual({ link: 1, unlink: 1, deauthorize: 1 });
  expect(await linked(lineUserId)).toBe(false);
});
