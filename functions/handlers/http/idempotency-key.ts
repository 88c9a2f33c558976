import { createHash } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidRequestError } from '../../core/errors.js';
import type { AdminCaller } from '../../core/use-cases/admin-links.js';
import { logger } from '../../observability/logger.js';

/** 1 to 255 printable ASCII characters (space to tilde). */
const KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * The `Idempotency-Key` of a request, or undefined without one. The header is a Structured
 * Field string (draft-ietf-httpapi-idempotency-key-header §2.1, RFC 8941 §3.3.3:
 * `Idempotency-Key: "8e03978e-…"`); a bare token, as many clients send, is taken as it is.
 * @throws InvalidRequestError for an empty, too long or non-ASCII key, or a malformed string.
 */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  const key = value.startsWith('"') ? structuredString(value) : value;
  if (key === undefined || !KEY.test(key)) {
    throw new InvalidRequestError('The Idempotency-Key header is not valid; nothing was sent.', [
      { path: 'Idempotency-Key', message: 'Use 1 to 255 printable ASCII characters.' },
    ]);
  }
  return key;
}

/** The content of an RFC 8941 §4.2.5 string that makes up the whole value; undefined if malformed. */
function structuredString(value: string): string | undefined {
  let out = '';
  for (let i = 1; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') {
      const next = value[++i];
      if (next !== '"' && next !== '\\') return undefined;
      out += next;
    } else if (c === '"') {
      return i === value.length - 1 ? out : undefined;
    } else {
      out += c;
    }
  }
  return undefined;
}

/** SHA-256 of each request's body bytes as they arrived, before the JSON parser replaces them. */
const bodyDigests = new WeakMap<object, string>();

/**
 * Middleware that keeps the digest of the raw body for {@link idempotencyOf}; it goes before the
 * JSON body parser.
 */
export const digestBody: MiddlewareObj<APIGatewayProxyEventV2> = {
  before: async ({ event }) => {
    const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    bodyDigests.set(event, createHash('sha256').update(bytes).digest('hex'));
  },
};

/**
 * The request's `Idempotency-Key` and the fingerprint it is bound to, or undefined without a
 * key. The fingerprint is the canonical request: the route, the caller (keys are the caller's
 * own) and the body bytes as they arrived ({@link digestBody}).
 */
export function idempotencyOf(
  event: APIGatewayProxyEventV2,
  route: string,
  caller: AdminCaller,
): { key: string; fingerprint: string } | undefined {
  const key = idempotencyKeyOf(event.headers?.['idempotency-key']);
  if (key === undefined) return undefined;
  // Not a secret: logged, so a client's report can be matched to the request.
  logger.appendKeys({ idempotencyKey: key });
  return {
    key,
    fingerprint: createHash('sha256')
      .update(`${route}\n${caller.arn}\n${bodyDigests.get(event) ?? ''}`)
      .digest('hex'),
  };
}
