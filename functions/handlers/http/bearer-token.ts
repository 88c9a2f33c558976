import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MissingTokenError } from '../../core/errors.js';

/**
 * The credential of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750). Its
 * format is checked by the verifier; here we only refuse a missing one.
 */
export function bearerToken(event: Pick<APIGatewayProxyEventV2, 'headers'>): string {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const match = header?.match(/^Bearer[ ]+(\S+)[ ]*$/i);
  if (!match?.[1]) throw new MissingTokenError();
  return match[1];
}

/**
 * Refuses a request without a bearer credential before its body is read: a client that did not
 * authenticate learns 401 (RFC 6750 §3), never how its body would have been judged. Whether the
 * token is valid is still the use case's verifier's call.
 */
export function bearerRequired(): MiddlewareObj {
  const check: MiddlewareObj<APIGatewayProxyEventV2> = {
    before: async (request) => {
      bearerToken(request.event);
    },
  };
  return check as MiddlewareObj;
}
