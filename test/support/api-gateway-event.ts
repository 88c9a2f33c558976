import { randomUUID } from 'node:crypto';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';

/** What a test says about a request; everything else gets API Gateway's usual values. */
export interface EventOptions {
  method: string;
  path: string;
  /** The matched route (`POST /links`); `$default` for the fallback. Default: `METHOD path`. */
  routeKey?: string;
  /** Header names as sent; API Gateway lower-cases them (and so does this builder). */
  headers?: Record<string, string>;
  /** A JSON body: serialized, with `content-type: application/json` unless a header says otherwise. */
  json?: unknown;
  /** A raw text body, sent as is. */
  body?: string;
  /** A binary body: API Gateway sends it base64-encoded with `isBase64Encoded`. */
  bytes?: Buffer;
  /** `Authorization: Bearer <token>`. */
  bearer?: string;
  cookies?: string[];
  query?: Record<string, string>;
  pathParameters?: Record<string, string>;
  sourceIp?: string;
  /** Request time (the clock of the test). */
  at?: Date;
}

/**
 * An API Gateway HTTP API (payload format 2.0) event as API Gateway builds it
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
 * lower-cased headers, cookies in their own array (no `cookie` header), a query string both raw
 * and parsed, `requestContext.http` with method, path, source IP and user agent, and a binary
 * body base64-encoded.
 */
export function apiGatewayEvent(options: EventOptions): APIGatewayProxyEventV2 {
  const at = options.at ?? new Date('2026-12-01T00:00:00.000Z');
  const headers: Record<string, string> = {
    accept: 'application/json',
    host: 'api.example.com',
    'user-agent': 'handler-test/1.0',
    'x-forwarded-for': options.sourceIp ?? '198.51.100.20',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;

  let body: string | undefined;
  let isBase64Encoded = false;
  if (options.bytes !== undefined) {
    body = options.bytes.toString('base64');
    isBase64Encoded = true;
  } else if (options.json !== undefined) body = JSON.stringify(options.json);
  else body = options.body;
  if (body !== undefined)
    headers['content-length'] = String(Buffer.byteLength(body, isBase64Encoded ? 'base64' : 'utf8'));

  const rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  const routeKey = options.routeKey ?? `${options.method} ${options.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: options.path,
    rawQueryString,
    ...(options.cookies?.length ? { cookies: options.cookies } : {}),
    headers,
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: options.method,
        path: options.path,
        protocol: 'HTTP/1.1',
        sourceIp: options.sourceIp ?? '198.51.100.20',
        userAgent: headers['user-agent']!,
      },
      requestId: `${randomUUID().slice(0, 8)}=`,
      routeKey,
      stage: '$default',
      time: at.toUTCString(),
      timeEpoch: at.getTime(),
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded,
  };
}

/** A Lambda context as the runtime passes it (what Powertools' logger reads from it). */
export function lambdaContext(functionName = 'line-id-link-handler'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:ap-northeast-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/12/01/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** A handler's answer with its headers by lower-cased name and its body parsed when JSON. */
export interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  /** Parsed JSON (or problem+json); the raw text otherwise; undefined without a body. */
  body: unknown;
  raw: APIGatewayProxyStructuredResultV2;
}

/** Invokes a handler as Lambda does, with a fresh context, and reads its structured result. */
export async function invoke(handler: Handler, event: APIGatewayProxyEventV2): Promise<Answer> {
  const result = await handler(event, lambdaContext());
  if (typeof result === 'string') throw new Error(`expected a structured result, got the string ${result}`);
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  const type = headers['content-type'] ?? '';
  const body =
    result.body === undefined
      ? undefined
      : /json/.test(type)
        ? (JSON.parse(result.body) as unknown)
        : result.body;
  return { statusCode: result.statusCode ?? 200, headers, body, raw: result };
}
