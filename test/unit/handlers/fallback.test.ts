import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** The `$default` route: 405 only for methods of routes the deployment has, else 404. */
const event = (method: string, path: string) =>
  ({
    rawPath: path,
    headers: {},
    requestContext: { http: { method, path }, requestId: 'r' },
  }) as unknown as APIGatewayProxyEventV2;
const context = {
  awsRequestId: 'a',
  functionName: 'fallback',
  getRemainingTimeInMillis: () => 1000,
} as unknown as Context;

it('only offers the deployed routes in 405 Allow, and 404s routes that are not deployed', async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.API_ROUTES = 'POST /links,GET /links/me,DELETE /links/me';
  const { handler } = await import('../../../functions/handlers/fallback.js');
  const wrongMethod = (await handler(event('PUT', '/links/me'), context)) as {
    statusCode: number;
    headers: Record<string, string>;
  };
  expect(wrongMethod.statusCode).toBe(405);
  expect(wrongMethod.headers.Allow).toBe('GET, DELETE');
  const notDeployed = (await handler(event('GET', '/links/by-api'), context)) as {
    statusCode: number;
    body: string;
  };
  expect(notDeployed.statusCode).toBe(404);
  expect(JSON.parse(notDeployed.body)).toMatchObject({ code: 'route-not-found' });
});
