import { createHmac } from 'node:crypto';
import { apiGatewayEvent, invoke, type Answer } from '../../support/api-gateway-event.js';
import { webhookLinePost } from '../../../functions/composition/handlers/webhook-line-post.js';
import { MAX_WEBHOOK_BODY_BYTES } from '../../../functions/handlers/webhook-line-post.js';
import {
  OFFLINE_MESSAGING_SECRET,
  offlineWiring,
  watchOutboundCalls,
} from '../../support/offline-handlers.js';

/**
 * `POST /webhook/line` invoked directly with API Gateway v2 events. The signature is checked
 * before anything is parsed, stored or called
 * (https://developers.line.biz/en/reference/messaging-api/#signature-validation).
 */

const wiring = offlineWiring();
const handler = webhookLinePost(wiring);
const outbound = watchOutboundCalls(wiring);
beforeEach(() => outbound.reset());

const sign = (body: string | Buffer, secret = OFFLINE_MESSAGING_SECRET) =>
  createHmac('sha256', secret).update(body).digest('base64');
const post = (options: Partial<Parameters<typeof apiGatewayEvent>[0]>) =>
  invoke(handler, apiGatewayEvent({ method: 'POST', path: '/webhook/line', ...options }));

const followEvent = {
  type: 'follow',
  mode: 'active',
  timestamp: 1_764_547_200_000,
  source: { type: 'user', userId: 'U0123456789abcdef0123456789abcdef' },
  webhookEventId: '01JEXAMPLEWEBHOOKEVENTID0001',
  deliveryContext: { isRedelivery: false },
  replyToken: 'reply-token',
  follow: { isUnblocked: false },
};
const signedBody = JSON.stringify({ destination: 'Uabc', events: [followEvent] });

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.statusCode).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.body).toMatchObject({ status, code });
}

test('no x-line-signature: 401 problem+json, no Bearer challenge, nothing stored or called', async () => {
  const answer = await post({ body: signedBody, headers: { 'content-type': 'application/json' } });
  expectProblem(answer, 401, 'invalid-webhook-signature');
  // LINE's signature is no HTTP authentication scheme a client could answer: no Bearer challenge.
  expect(answer.headers['www-authenticate']).toBeUndefined();
  outbound.expectUntouched();
});

test.each([
  ['made with another secret', sign(signedBody, 'another-channel-secret-000000000')],
  ['of another body', sign(`${signedBody} `)],
  ['not base64', 'not a signature'],
  ['empty', ''],
])('a signature %s: 401, nothing stored or called', async (_, signature) => {
  const answer = await post({ body: signedBody, headers: { 'x-line-signature': signature } });
  expectProblem(answer, 401, 'invalid-webhook-signature');
  outbound.expectUntouched();
});

test("LINE's URL verification (signed, no events): 200 {} with nothing stored", async () => {
  const body = JSON.stringify({ destination: 'Uabc', events: [] });
  const answer = await post({ body, headers: { 'x-line-signature': sign(body) } });
  expect(answer.statusCode).toBe(200);
  expect(answer.body).toEqual({});
  outbound.expectUntouched();
});

test('a base64-encoded body is verified on its decoded bytes', async () => {
  const bytes = Buffer.from(JSON.stringify({ destination: 'Uabc', events: [] }));
  const answer = await post({ bytes, headers: { 'x-line-signature': sign(bytes) } });
  expect(answer.statusCode).toBe(200);
  const forged = await post({ bytes, headers: { 'x-line-signature': sign(bytes.toString('base64')) } });
  expect(forged.statusCode).toBe(401);
});

test.each([
  ['malformed JSON', '{"events": [', 400, 'malformed-json'],
  ['no events array', '{"destination":"Uabc"}', 400, 'invalid-request'],
  [
    'an event without its id',
    JSON.stringify({ events: [{ ...followEvent, webhookEventId: undefined }] }),
    400,
    'invalid-request',
  ],
])('signed but %s: %i %s, nothing stored', async (_, body, status, code) => {
  const answer = await post({ body, headers: { 'x-line-signature': sign(body) } });
  expectProblem(answer, status, code);
  outbound.expectUntouched();
});

test('a body over 1 MiB: 413 before the signature is computed', async () => {
  const body = 'x'.repeat(MAX_WEBHOOK_BODY_BYTES + 1);
  const answer = await post({ body, headers: { 'x-line-signature': sign(body) } });
  expectProblem(answer, 413, 'payload-too-large');
  outbound.expectUntouched();
});

test('a signed event goes on to the event log (the watch sees the DynamoDB call); its failure is a 500 so LINE redelivers', async () => {
  const answer = await post({ body: signedBody, headers: { 'x-line-signature': sign(signedBody) } });
  expect(outbound.dynamo.calls().length).toBeGreaterThan(0);
  expectProblem(answer, 500, 'internal-error');
});
