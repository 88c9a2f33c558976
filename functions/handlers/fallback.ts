import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { MethodNotAllowedError, RouteNotFoundError } from './http/http-errors.js';
import { httpEdge } from './http/middlewares.js';
import { matchPath, ROUTES } from '../manifest/routes.js';

/**
 * API Gateway's `$default` route (and the local server's unmatched requests): a problem+json
 * 405 with `Allow` when the path exists under other methods, otherwise 404.
 *
 * @param deployedRoutes the deployed routes (API_ROUTES, set by the API stack: "METHOD /path"),
 *   or none for all of them (locally): a 405 offers only methods this deployment has.
 */
export function createFallbackHandler(deployedRoutes: readonly string[]) {
  const routes = deployedRoutes.length
    ? ROUTES.filter((r) => deployedRoutes.includes(`${r.method} ${r.path}`))
    : ROUTES;
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpEdge())
    .handler(async (event) => {
      const path = event.rawPath;
      const allow = routes.filter((route) => matchPath(route.path, path)).map((route) => route.method);
      // API Gateway routes are per method: a HEAD is not a GET, and never runs a GET handler.
      if (allow.length > 0) throw new MethodNotAllowedError([...new Set(allow)]);
      throw new RouteNotFoundError();
    });
}
