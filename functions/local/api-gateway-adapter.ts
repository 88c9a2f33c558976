import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { CORS_POLICY } from '../manifest/cors-policy.js';
import { FALLBACK_ROUTE, matchPath, type RouteDefinition } from '../manifest/routes.js';
import { verifySigV4, type LocalIamCredentials } from './sigv4.js';
import type { SourceHandlers } from './source-handlers.js';

/** Options of {@link createApiGatewayListener}. */
export interface ApiGatewayAdapterOptions {
  routes: readonly RouteDefinition[];
  /** The functions behind the routes, by their manifest names (the local composition root). */
  handlers: Pick<SourceHandlers, 'handler'>;
  /** Exact origins allowed by CORS (CORS_ALLOWED_ORIGINS). */
  corsOrigins: readonly string[];
  /** API Gateway's own payload limit (10 MB); handlers apply their own, smaller limits. */
  maxPayloadBytes?: number;
  /**
   * Credentials whose SigV4 signatures routes with `authorization: 'aws-iam'` accept (API
   * Gateway's IAM authorization, emulated). Without them such routes refuse every request.
   */
  iam?: LocalIamCredentials;
  /** Clock of the signature check (tests). */
  now?: () => Date;
  /** Where the gateway's own notes go (default {@link consoleGatewayLog}). */
  log?: (entry: GatewayLogEntry) => void;
}

/**
 * A note of the gateway itself, about a request no function answered: refused by the IAM
 * authorization (the function never ran), or a function that failed (API Gateway's 500).
 */
export interface GatewayLogEntry {
  level: 'WARN' | 'ERROR';
  message: string;
  routeKey: string;
  /** The request ID the event would have carried (`requestContext.requestId`). */
  apiRequestId: string;
  /** Why the IAM authorization refused it. */
  reason?: string;
  /** What the function threw. */
  error?: unknown;
}

/** The default of {@link GatewayOptions.log}: a line on stderr. */
export function consoleGatewayLog(entry: GatewayLogEntry): void {
  if (entry.level === 'WARN') console.warn(`${entry.routeKey}: ${entry.message}: ${entry.reason}`);
  else console.error(`${entry.routeKey}: ${entry.message}:`, entry.error);
}

/** One route as the gateway sees it: its key, its authorization and the function behind it. */
export interface GatewayRoute {
  /** `GET /links/{id}`; `$default` for the catch-all. */
  routeKey: string;
  authorization: 'NONE' | 'AWS_IAM';
  /** Name of the function behind it (the Lambda context's functionName). */
  functionName: string;
  /** Runs the function with the event; a rejection is the function failing (API Gateway: 500). */
  invoke(event: APIGatewayProxyEventV2, context: Context): Promise<unknown>;
}

/** The CORS configuration API Gateway applies (CorsConfiguration of an HTTP API). */
export interface GatewayCors {
  allowOrigins: readonly string[];
  allowMethods: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
  maxAgeSeconds?: number;
  allowCredentials: boolean;
}

/** Options of {@link createGatewayListener}. */
export interface GatewayOptions {
  routes: readonly GatewayRoute[];
  /** The `$default` route, for everything no route matches. */
  fallback: GatewayRoute;
  cors?: GatewayCors;
  maxPayloadBytes?: number;
  /** Credentials that AWS_IAM routes accept; without them such routes refuse every request. */
  iam?: LocalIamCredentials;
  now?: () => Date;
  log?: (entry: GatewayLogEntry) => void;
}

/**
 * The service's handlers from the source behind the gateway (what `npm start` and the
 * integration tests run): routes from the manifest, CORS from the one policy, each handler built
 * by `options.handlers` on its first request like a cold start.
 */
export function createApiGatewayListener(options: ApiGatewayAdapterOptions) {
  const route = (routeKey: string, handler: string, authorization: GatewayRoute['authorization']) => ({
    routeKey,
    authorization,
    functionName: handler,
    invoke: async (event: APIGatewayProxyEventV2, context: Context) =>
      options.handlers.handler(handler)(event as never, context),
  });
  return createGatewayListener({
    routes: options.routes.map((r) =>
      route(`${r.method} ${r.path}`, r.handler, r.authorization === 'aws-iam' ? 'AWS_IAM' : 'NONE'),
    ),
    fallback: route('$default', FALLBACK_ROUTE.handler, 'NONE'),
    cors: { ...CORS_POLICY, allowOrigins: options.corsOrigins },
    maxPayloadBytes: options.maxPayloadBytes,
    iam: options.iam,
    now: options.now,
    log: options.log,
  });
}

/**
 * Maps plain HTTP requests to API Gateway HTTP API (payload v2.0) events and the functions'
 * results back to HTTP, the way API Gateway does: route keys with `{param}` / `{proxy+}`,
 * lower-cased headers with repeated values comma-joined, the `cookies` array (and no `cookie`
 * header), base64 for binary bodies, `cookies` in the result as separate Set-Cookie headers,
 * CORS applied at the gateway, AWS_IAM routes checked by SigV4 before the function runs, and
 * `$default` for everything no route matches.
 */
export function createGatewayListener(options: GatewayOptions) {
  const maxPayloadBytes = options.maxPayloadBytes ?? 10 * 1024 * 1024;
  const log = options.log ?? consoleGatewayLog;
  const routes = options.routes.map((route) => {
    const [method, path] = route.routeKey.split(' ') as [string, string];
    return { route, method, path };
  });

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const origin = req.headers.origin;
    const cors = options.cors;
    const corsHeaders =
      origin && cors?.allowOrigins.includes(origin) ? corsResponseHeaders(origin, cors) : {};

    if (method === 'OPTIONS' && origin && req.headers['access-control-request-method']) {
      res.writeHead(204, {
        ...corsHeaders,
        ...(Object.keys(corsHeaders).length && cors ? preflightHeaders(cors) : {}),
      });
      res.end();
      return;
    }

    let body: Buffer;
    try {
      body = await readBody(req, maxPayloadBytes);
    } catch {
      res.writeHead(413, { 'content-type': 'application/json', ...corsHeaders });
      res.end(JSON.stringify({ message: 'Request Entity Too Large' }));
      return;
    }

    let route = options.fallback;
    let pathParameters: Record<string, string> | undefined;
    for (const candidate of routes) {
      if (candidate.method !== method) continue;
      const params = matchPath(candidate.path, url.pathname);
      if (params) {
        route = candidate.route;
        pathParameters = Object.keys(params).length ? params : undefined;
        break;
      }
    }

    const event = toEvent(req, method, url, body, route.routeKey, pathParameters);
    if (route.authorization === 'AWS_IAM') {
      // API Gateway's IAM authorization: an unsigned or badly signed request never reaches the function.
      const verdict = options.iam
        ? await verifySigV4(
            { method, url, headers: event.headers as Record<string, string>, body },
            options.iam,
            options.now?.(),
          )
        : ({ ok: false, reason: 'no local credentials configured' } as const);
      if (!verdict.ok) {
        // API Gateway's own answer; the function never runs. Locally the reason goes to the log.
        log({
          level: 'WARN',
          message: 'request refused by IAM authorization',
          routeKey: route.routeKey,
          apiRequestId: event.requestContext.requestId,
          reason: verdict.reason,
        });
        writeResult(res, method, IAM_REFUSAL, corsHeaders);
        return;
      }
      (event.requestContext as { authorizer?: unknown }).authorizer = { iam: iamAuthorizer(options.iam!) };
    }
    const context = lambdaContext(route.functionName, event.requestContext.requestId);
    let result: unknown;
    try {
      result = await route.invoke(event, context);
    } catch (error) {
      // What API Gateway does when the function itself fails.
      log({
        level: 'ERROR',
        message: 'the function failed',
        routeKey: route.routeKey,
        apiRequestId: event.requestContext.requestId,
        error,
      });
      res.writeHead(500, { 'content-type': 'application/json', ...corsHeaders });
      res.end(JSON.stringify({ message: 'Internal Server Error' }));
      return;
    }
    writeResult(res, method, normalizeResult(result), corsHeaders);
  };
}

/**
 * What API Gateway answers when its IAM authorization refuses a request (HTTP APIs:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html).
 */
const IAM_REFUSAL: APIGatewayProxyStructuredResultV2 = {
  statusCode: 403,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ForbiddenException' },
  body: JSON.stringify({ message: 'Forbidden' }),
};

function toEvent(
  req: IncomingMessage,
  method: string,
  url: URL,
  body: Buffer,
  routeKey: string,
  pathParameters: Record<string, string> | undefined,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      cookies = [
        ...(cookies ?? []),
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      ];
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams)
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  const contentType = headers['content-type'] ?? '';
  const text = isTextual(contentType);
  const now = new Date();
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies,
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0]!,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !text,
  };
}

/** What API Gateway puts in `requestContext.authorizer.iam` for an IAM-authorized request. */
function iamAuthorizer(iam: LocalIamCredentials) {
  return {
    accessKey: iam.accessKeyId,
    accountId: iam.accountId,
    callerId: 'AIDALOCALADMIN',
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: iam.principalArn,
    userId: 'AIDALOCALADMIN',
  };
}

function normalizeResult(result: unknown): APIGatewayProxyStructuredResultV2 {
  if (result && typeof result === 'object' && 'statusCode' in result)
    return result as APIGatewayProxyStructuredResultV2;
  // API Gateway's rule for results without a status code: 200 with the value as JSON.
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: typeof result === 'string' ? result : JSON.stringify(result),
  };
}

function writeResult(
  res: ServerResponse,
  method: string,
  result: APIGatewayProxyStructuredResultV2,
  corsHeaders: Record<string, string>,
): void {
  const headers: Record<string, string | number | boolean | string[]> = {
    ...(result.headers ?? {}),
    ...corsHeaders,
  };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  headers['content-length'] = body.length;
  res.writeHead(result.statusCode ?? 200, headers as Record<string, string | string[]>);
  res.end(method === 'HEAD' ? undefined : body);
}

function corsResponseHeaders(origin: string, cors: GatewayCors): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': String(cors.allowCredentials),
    'access-control-expose-headers': cors.exposeHeaders.join(','),
    vary: 'origin',
  };
}

function preflightHeaders(cors: GatewayCors): Record<string, string> {
  return {
    'access-control-allow-methods': cors.allowMethods.join(','),
    'access-control-allow-headers': cors.allowHeaders.join(','),
    ...(cors.maxAgeSeconds === undefined ? {} : { 'access-control-max-age': String(cors.maxAgeSeconds) }),
  };
}

function isTextual(contentType: string): boolean {
  return /^text\/|json|xml|javascript|x-www-form-urlencoded/i.test(contentType) || contentType === '';
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('payload too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The Lambda context of one invocation, as the runtime passes it (30 s timeout). */
export function lambdaContext(functionName: string, requestId: string): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
