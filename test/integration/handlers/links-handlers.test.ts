import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { documentClient } from '../../../functions/composition/adapters.js';
import { linksMeDelete } from '../../../functions/composition/handlers/links-me-delete.js';
import { linksMeGet } from '../../../functions/composition/handlers/links-me-get.js';
import { linksPost } from '../../../functions/composition/handlers/links-post.js';
import { createWiring, type Wiring } from '../../../functions/composition/wiring.js';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { apiGatewayEvent, invoke, type Answer, type EventOptions } from '../../support/api-gateway-event.js';
import { OTHER_CLIENT, startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * The link handlers invoked directly with API Gateway v2 events (no HTTP server in between),
 * against DynamoDB Local and the LINE and company emulators: the answers and headers of the
 * whole link lifecycle, and refusals after a verified token still writing nothing.
 */

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

let stack: TestStack;
let wiring: Wiring;
let handlers: { post: Handler; get: Handler; del: Handler };
beforeAll(async () => {
  stack = await startTestStack();
  // The handlers as a Lambda cold start builds them, from the environment the stack's functions read.
  wiring = createWiring(stack.env(), 'in-process');
  handlers = { post: linksPost(wiring), get: linksMeGet(wiring), del: linksMeDelete(wiring) };
});
afterAll(async () => {
  documentClient(wiring).destroy();
  await stack.close();
});

let seq = 0;
function fresh() {
  seq++;
  return { lineUserId: testLineUserId(`handlers-${seq}-${Date.now()}`), memberId: `M-H${seq}-${Date.now()}` };
}

const call = (handler: Handler, options: EventOptions) => invoke(handler, apiGatewayEvent(options));
const postLink = (bearer: string, json: unknown) =>
  call(handlers.post, { method: 'POST', path: '/links', bearer, json });
const getMe = (bearer: string) => call(handlers.get, { method: 'GET', path: '/links/me', bearer });
const deleteMe = (bearer: string) => call(handlers.del, { method: 'DELETE', path: '/links/me', bearer });

/** The link items of this LINE user and member (both sides), as stored. */
async function storedSides(lineUserId: string, memberId: string): Promise<string[]> {
  const pks = (await stack.scan('links')).map((item) => (item.pk as { S: string }).S);
  return pks.filter((pk) => pk === `LINE#${lineUserId}` || pk === `COMPANY#${memberId}`).sort();
}

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.statusCode).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(answer.body).toMatchObject({ status, code });
}

test('link, read, link again, unlink, read: 201, 200, 200, 204, 404', async () => {
  const { lineUserId, memberId } = fresh();
  const lineToken = await stack.line.mintIdToken({ userId: lineUserId });
  const companyIdToken = await stack.company.mintIdToken({ sub: memberId });

  const created = await postLink(lineToken, { companyIdToken, consentVersion: '2026-12' });
  expect(created.statusCode).toBe(201);
  expect(created.headers['content-type']).toBe('application/json');
  expect(created.headers['cache-control']).toBe('no-store');
  expect(created.body).toMatchObject({ lineUserId, companyUserId: memberId, method: 'oidc', friend: null });
  expect(await storedSides(lineUserId, memberId)).toEqual([`COMPANY#${memberId}`, `LINE#${lineUserId}`]);

  const me = await getMe(lineToken);
  expect(me.statusCode).toBe(200);
  expect(me.body).toEqual(created.body);

  const again = await postLink(lineToken, { companyIdToken });
  expect(again.statusCode).toBe(200);
  expect(again.body).toEqual(created.body);

  const deleted = await deleteMe(lineToken);
  expect(deleted.statusCode).toBe(204);
  expect(deleted.raw.body).toBeUndefined();
  expect(await storedSides(lineUserId, memberId)).toEqual([]);

  expectProblem(await getMe(lineToken), 404, 'not-linked');
  // Unlinking what is not linked is still 204.
  expect((await deleteMe(lineToken)).statusCode).toBe(204);
});

test('the member is linked to another LINE user: 409 company-user-already-linked, nothing written', async () => {
  const first = fresh();
  const second = fresh();
  const firstLink = await postLink(await stack.line.mintIdToken({ userId: first.lineUserId }), {
    companyIdToken: await stack.company.mintIdToken({ sub: first.memberId }),
  });
  expect(firstLink.statusCode).toBe(201);

  // The member signs in again from the second LINE account (a token links one LINE user).
  const conflict = await postLink(await stack.line.mintIdToken({ userId: second.lineUserId }), {
    companyIdToken: await stack.company.mintIdToken({ sub: first.memberId }),
  });
  expectProblem(conflict, 409, 'company-user-already-linked');
  expect(await storedSides(second.lineUserId, 'none')).toEqual([]);
  expect(await storedSides(first.lineUserId, first.memberId)).toHaveLength(2);
});

test('the LINE user is linked to another member: 409 line-user-already-linked, nothing written', async () => {
  const { lineUserId, memberId } = fresh();
  const other = fresh().memberId;
  const lineToken = await stack.line.mintIdToken({ userId: lineUserId });
  expect(
    (await postLink(lineToken, { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) }))
      .statusCode,
  ).toBe(201);

  const conflict = await postLink(lineToken, {
    companyIdToken: await stack.company.mintIdToken({ sub: other }),
  });
  expectProblem(conflict, 409, 'line-user-already-linked');
  expect(await storedSides('none', other)).toEqual([]);
});

test('a valid LINE token with an invalid body: 400, nothing written', async () => {
  const { lineUserId, memberId } = fresh();
  const answer = await postLink(await stack.line.mintIdToken({ userId: lineUserId }), {
    companyUserId: memberId,
  });
  expectProblem(answer, 400, 'invalid-request');
  expect(await storedSides(lineUserId, memberId)).toEqual([]);
});

test.each([
  [
    'issued for another client',
    (sub: string) => stack.company.mintIdToken({ sub, clientId: OTHER_CLIENT.clientId }),
  ],
  ['expired', (sub: string) => stack.company.mintIdToken({ sub, expiresInSec: -60 })],
  ['not a JWT', async () => 'not-a-jwt'],
])('a company ID token %s: 401 invalid-company-token, nothing written', async (_, mint) => {
  const { lineUserId, memberId } = fresh();
  const answer = await postLink(await stack.line.mintIdToken({ userId: lineUserId }), {
    companyIdToken: await mint(memberId),
  });
  expectProblem(answer, 401, 'invalid-company-token');
  expect(await storedSides(lineUserId, memberId)).toEqual([]);
});

test.each([
  ['no body', {}],
  ['malformed JSON', { body: '{"companyIdToken":', headers: { 'content-type': 'application/json' } }],
  ['a body of the wrong shape', { json: { companyIdToken: 42 } }],
  ['a body too large', { json: { companyIdToken: 'x'.repeat(20_000) } }],
] as const)('no LINE token and %s: 401 missing-line-token before the body is judged', async (_, request) => {
  const answer = await call(handlers.post, { method: 'POST', path: '/links', ...request });
  expectProblem(answer, 401, 'missing-line-token');
  expect(answer.headers['www-authenticate']).toBe('Bearer realm="line-id-link"');
});

test('a LINE token that does not verify: 401 invalid-line-token with an invalid_token challenge, nothing written', async () => {
  const { lineUserId, memberId } = fresh();
  const expired = await stack.line.mintIdToken({ userId: lineUserId, expiresInSec: -60 });
  const answer = await postLink(expired, {
    companyIdToken: await stack.company.mintIdToken({ sub: memberId }),
  });
  expectProblem(answer, 401, 'invalid-line-token');
  expect(answer.headers['www-authenticate']).toBe('Bearer realm="line-id-link", error="invalid_token"');
  expect(await storedSides(lineUserId, memberId)).toEqual([]);

  const deleted = await deleteMe(expired);
  expectProblem(deleted, 401, 'invalid-line-token');
  expect(deleted.headers['www-authenticate']).toBe('Bearer realm="line-id-link", error="invalid_token"');
});
