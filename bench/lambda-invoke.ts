import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { lambdaContext } from '../functions/local/api-gateway-adapter.js';

/** An API handler as the Lambda runtime calls it. */
export type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/**
 * The API Gateway HTTP API (payload 2.0) event of a request, as the benches hand it to a handler
 * directly, the way the Lambda runtime does (no HTTP server in between).
 */
export function apiEvent(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): APIGatewayProxyEventV2 {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'localhost', ...headers },
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

/** The Lambda context of one invocation of `functionName`, as the local server builds it. */
export const invocationContext = (functionName: string): Context => lambdaContext(functionName, randomUUID());
