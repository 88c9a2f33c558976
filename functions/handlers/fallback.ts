import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { MethodNotAllowedError, RouteNotFoundError } from './http/http-errors.js';
import { httpEdge } from './http/middlewares.js';
import { loadDeployedRoutes } from '../config.js';
import { matchPath, ROUTES } from '../manifest/routes.js';

/** The deployed routes (API_ROUTES, set by the API stack: "METHOD /path,…"), or all of them locally. */
const deployed = loadDeployedRoutes();
const routes = deployed.length ? ROUTES.filter((r) => deployed.includes(`${r.method} ${r.path}`)) : ROUTES;

/**
 * API Gateway's `$default` route (and the local server's unmatched requests): a problem+json
 * 405 with `Allow` when the path exists under other methods, otherwise 404.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(httpEdge())
  .handler(async (event) => {
    const path = event.rawPath;
    const allow = routes.filter((route) => matchPath(route.path, path)).map((route) => route.method);
    // API Gateway routes are per method: a HEAD is not a GET, and never runs a GET handler.
    if (allow.length > 0) throw new MethodNotAllowedError([...new Set(allow)]);
    throw new RouteNotFoundError();
  });
