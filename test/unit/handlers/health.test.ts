import { apiGatewayEvent, invoke } from '../../support/api-gateway-event.js';

/** `GET /health` invoked directly: liveness only, with the security headers of every route. */

// It touches no dependency, so it needs none of their configuration to load.
for (const name of ['LINE_CHANNEL_ID', 'COMPANY_OIDC_ISSUER', 'COMPANY_OIDC_CLIENT_ID', 'DYNAMODB_ENDPOINT'])
  delete process.env[name];
const { handler } = await import('../../../functions/handlers/health.js');

test('200 {status: ok}, JSON, not cached, with security headers', async () => {
  const answer = await invoke(handler, apiGatewayEvent({ method: 'GET', path: '/health' }));
  expect(answer.statusCode).toBe(200);
  expect(answer.body).toEqual({ status: 'ok' });
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['strict-transport-security']).toMatch(/max-age=\d+/);
});
