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
