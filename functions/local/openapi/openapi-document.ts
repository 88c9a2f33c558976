import { ROUTES, type RouteDefinition } from '../../manifest/routes.js';
import { HEADERS, SCHEMAS, type Json } from './components.js';
import { pages, problems, type AnswerCode } from './error-responses.js';
import { routeKey, type Area, type OperationSpec, type RouteKey } from './operation.js';
import { ADMIN } from './operations/admin.js';
import { HEALTH } from './operations/health.js';
import { LINKS } from './operations/links.js';
import { MESSAGING } from './operations/messaging.js';
import { WEB_FLOW } from './operations/web-flow.js';
import { guardOf, openSecurity, SECURITY_SCHEMES } from './security.js';

/**
 * The OpenAPI 3.1 description of the HTTP API, served by `npm start` at `/openapi.json`. Its paths
 * are the routes of the manifest (functions/manifest/routes.ts), each described by one operation of
 * an area (operations/); the statuses of its errors come from the error table (error-table.ts).
 * test/integration/openapi/openapi-conformance.test.ts checks real responses against it.
 */

/** The areas of the API, in the order of their tags. */
export const AREAS: readonly Area[] = [LINKS, WEB_FLOW, MESSAGING, ADMIN, HEALTH];

type RouteShape = Pick<RouteDefinition, 'method' | 'path' | 'authorization'>;

/**
 * Where the manifest and the operations disagree: a route without an operation, an operation
 * for no route, or a route described twice. {@link assembleDocument} refuses to build on any.
 */
export function operationMismatches(routes: readonly RouteShape[], areas: readonly Area[]): string[] {
  const mismatches: string[] = [];
  const described = new Set<string>();
  for (const area of areas) {
    for (const key of Object.keys(area.operations)) {
      if (described.has(key)) mismatches.push(`${key}: described twice`);
      described.add(key);
    }
  }
  const routed = new Set(routes.map(routeKey));
  for (const key of routed) {
    if (!described.has(key)) mismatches.push(`${key}: a route of the manifest without an operation`);
  }
  for (const key of described) {
    if (!routed.has(key as RouteKey)) mismatches.push(`${key}: an operation for no route of the manifest`);
  }
  return mismatches;
}

/**
 * One operation: what `spec` says, with the security and errors the manifest and the error table
 * give it. Every operation may answer 500 `internal-error`; a guarded route also answers the
 * refusal of its guard.
 */
function operation(route: RouteShape, spec: OperationSpec, tag: string): Json {
  const key = routeKey(route);
  const guard = guardOf(route);
  if (guard && spec.lineToken)
    throw new Error(`openapi: ${key} is guarded by the manifest and takes a LINE token`);
  let errors: Record<string, Json>;
  if (spec.pages) {
    if (guard) throw new Error(`openapi: ${key} is guarded by the manifest and answers HTML pages`);
    errors = pages([...spec.pages, { codes: ['internal-error'], description: 'Unexpected error' }]);
  } else {
    const refusals: readonly AnswerCode[] = guard ? [guard.refusal] : [];
    errors = problems([...spec.problems, ...refusals, 'internal-error']);
    if (guard) guard.explain(errors['403'] as { description: string; content: Record<string, Json> });
  }
  const clash = Object.keys(errors).filter((status) => status in spec.responses);
  if (clash.length) throw new Error(`openapi: ${key} answers ${clash.join(', ')} twice`);
  return {
    tags: [tag],
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    security: guard ? guard.security : openSecurity(spec.lineToken ?? false),
    ...(spec.parameters ? { parameters: [...spec.parameters] } : {}),
    ...(spec.requestBody ? { requestBody: spec.requestBody } : {}),
    responses: { ...spec.responses, ...errors },
  };
}

/** The paths object: one path item per path of `routes`, one operation per route. */
function pathsOf(
  routes: readonly RouteShape[],
  areas: readonly Area[],
): Record<string, Record<string, Json>> {
  const mismatches = operationMismatches(routes, areas);
  if (mismatches.length) throw new Error(`openapi: ${mismatches.join('; ')}`);
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    for (const area of areas) {
      const spec = area.operations[routeKey(route)];
      if (spec)
        (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, spec, area.tag.name);
    }
  }
  return paths;
}

/** The document for `routes` described by `areas`; `serverUrl` is the API origin it is served from. */
export function assembleDocument(
  routes: readonly RouteShape[],
  areas: readonly Area[],
  serverUrl?: string,
): Json {
  // A copy, so that whoever changes the document changes neither the shared components nor the next one.
  return structuredClone({
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'line-id-link',
      version: '0.1.0',
      description:
        "Links an organization's own user IDs with LINE user IDs. The LINE identity is `Authorization: Bearer <token>`: " +
        'a LINE ID token (`liff.getIDToken()`) or access token (`liff.getAccessToken()`). Errors are `application/problem+json` ' +
        '(RFC 9457) with a stable `code`. Any path no route matches answers 404 `route-not-found`; a known path with another ' +
        "method answers 405 `method-not-allowed` with `Allow`. The `/admin/…` routes are for the company's own systems only: " +
        'API Gateway lets through only requests signed with AWS Signature Version 4 (service `execute-api`) by a principal ' +
        'with the admin policy; anything else is refused with 403.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    tags: areas.map((area) => area.tag),
    paths: pathsOf(routes, areas),
    components: { securitySchemes: SECURITY_SCHEMES, headers: HEADERS, schemas: SCHEMAS },
  });
}

/** The whole document of the manifest's routes; `serverUrl` is the API origin it is served from. */
export function openApiDocument(serverUrl?: string): Json {
  return assembleDocument(ROUTES, AREAS, serverUrl);
}
