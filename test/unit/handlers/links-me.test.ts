import { apiGatewayEvent, invoke } from '../../support/api-gateway-event.js';
import { linksMeDelete } from '../../../functions/composition/handlers/links-me-delete.js';
import { linksMeGet } from '../../../functions/composition/handlers/links-me-get.js';
import { offlineWiring, watchOutboundCalls } from '../../support/offline-handlers.js';

/**
 * `GET /links/me` and `DELETE /links/me` invoked directly with API Gateway v2 events: without a
 * usable bearer token they answer 401 problem+json with a Bearer challenge, and read, delete
 * and call nothing.
 */

const wiring = offlineWiring();
const get = linksMeGet(wiring);
const del = linksMeDelete(wiring);
const outbound = watchOutboundCalls(wiring);
beforeEach(() => outbound.reset());

const routes = [
  ['GET /links/me', get, 'GET'],
  ['DELETE /links/me', del, 'DELETE'],
] as const;

describe.each(routes)('%s', (_, handler, method) => {
  const call = (headers: Record<string, string> = {}) =>
    invoke(handler, apiGatewayEvent({ method, path: '/links/me', headers }));

  test.each([
    ['no Authorization header', {}],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['Bearer without a token', { authorization: 'Bearer' }],
    ['two tokens', { authorization: 'Bearer a b' }],
  ])('%s: 401 missing-line-token with a Bearer challenge; nothing touched', async (__, headers) => {
    const answer = await call(headers);
    expect(answer.statusCode).toBe(401);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="line-id-link"');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toMatchObject({ status: 401, code: 'missing-line-token' });
    outbound.expectUntouched();
  });

  test('the scheme is case-insensitive (RFC 6750): a token reaches LINE, and LINE down is 503, nothing touched in the table', async () => {
    const answer = await call({ Authorization: 'bearer line-access-token' });
    expect(outbound.fetch).toHaveBeenCalled();
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ code: 'line-unavailable' });
    expect(outbound.dynamo.calls()).toHaveLength(0);
  });
});
