import { health } from '../../../functions/composition/handlers/health.js';
import { createWiring } from '../../../functions/composition/wiring.js';
import { apiGatewayEvent, invoke } from '../../support/api-gateway-event.js';

/** `GET /health` invoked directly: liveness only, with the security headers of every route. */

// It touches no dependency, so it needs none of their configuration to be built.
const handler = health(createWiring({}, 'in-process'));

test('200 {status: ok}, JSON, not cached, with security headers', async () => {
  const answer = await invoke(handler, apiGatewayEvent({ method: 'GET', path: '/health' }));
  expect(answer.statusCode).toBe(200);
  expect(answer.body).toEqual({ status: 'ok' });
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['strict-transport-security']).toMatch(/max-age=\d+/);
});
