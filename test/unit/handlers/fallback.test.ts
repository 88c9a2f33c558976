import { fallback } from '../../../functions/composition/handlers/fallback.js';
import { createWiring } from '../../../functions/composition/wiring.js';
import { apiGatewayEvent, invoke } from '../../support/api-gateway-event.js';

/** The `$default` route: 405 only for methods of routes the deployment has, else 404. */

// A deployment with these routes only (the API stack sets API_ROUTES).
const handler = fallback(
  createWiring({ API_ROUTES: 'POST /links,GET /links/me,DELETE /links/me,GET /health' }, 'in-process'),
);
const call = (method: string, path: string) =>
  invoke(handler, apiGatewayEvent({ method, path, routeKey: '$default' }));

it('only offers the deployed routes in 405 Allow, and 404s routes that are not deployed', async () => {
  const wrongMethod = await call('PUT', '/links/me');
  expect(wrongMethod.statusCode).toBe(405);
  expect(wrongMethod.headers.allow).toBe('GET, DELETE');
  expect(wrongMethod.headers['content-type']).toBe('application/problem+json');
  expect(wrongMethod.body).toMatchObject({ status: 405, code: 'method-not-allowed' });

  const notDeployed = await call('GET', '/links/by-api');
  expect(notDeployed.statusCode).toBe(404);
  expect(notDeployed.headers['content-type']).toBe('application/problem+json');
  expect(notDeployed.headers.allow).toBeUndefined();
  expect(notDeployed.body).toMatchObject({ status: 404, code: 'route-not-found' });
});

it('a HEAD is not a GET: 405 with Allow GET', async () => {
  const head = await call('HEAD', '/health');
  expect(head.statusCode).toBe(405);
  expect(head.headers.allow).toBe('GET');
});

it('an unknown path: 404 problem with security headers, never cached', async () => {
  const answer = await call('GET', '/admin/../etc/passwd');
  expect(answer.statusCode).toBe(404);
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['www-authenticate']).toBeUndefined();
});
