import type { MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ZodMiniType } from 'zod/mini';
import { InvalidRequestError } from '../../core/errors.js';
import { PayloadTooLargeError } from './http-errors.js';
import { invocationLogging, logger } from '../../observability/logger.js';
import { problemResponses } from './problem.js';
import { tracing } from '../../observability/tracing.js';

/** Request bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Tracing first (so its segment spans every other middleware), then structured logs that carry
 * the Lambda request ID (Powertools) and API Gateway's request ID, so a client's report can be
 * matched to its log lines. Never the event itself: it holds tokens.
 */
export function requestLogging(): MiddlewareObj[] {
  const apiRequestId: MiddlewareObj<APIGatewayProxyEventV2> = {
    before: async (request) => {
      logger.appendKeys({ apiRequestId: request.event.requestContext?.requestId });
    },
  };
  return [tracing(), invocationLogging(), apiRequestId as MiddlewareObj];
}

/**
 * The edge every JSON route shares: request-scoped logging, lower-cased headers, security
 * headers on every response (errors included), and problem+json for every error. CORS is not
 * here: API Gateway applies it (and the local adapter emulates it) from the one
 * CORS_ALLOWED_ORIGINS setting.
 *
 * Order matters: middy runs `onError` in reverse, so the problem mapper is registered last to
 * build the response before the security headers are added to it.
 */
export function httpEdge(): MiddlewareObj[] {
  return [
    ...requestLogging(),
    httpHeaderNormalizer(),
    httpSecurityHeaders(),
    problemResponses() as MiddlewareObj,
  ];
}

/**
 * Size limit, `Content-Type: application/json` check and parsing (middy's parser, which also
 * refuses `__proto__` keys). Malformed JSON, a wrong media type and an oversized body each
 * become their own 4xx problem.
 */
export function jsonBody(options: { maxBytes?: number } = {}): MiddlewareObj[] {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  const sizeLimit: MiddlewareObj<APIGatewayProxyEventV2> = {
    before: async (request) => {
      const { body, isBase64Encoded } = request.event;
      if (body === undefined) return;
      const bytes = isBase64Encoded ? Buffer.from(body, 'base64').length : Buffer.byteLength(body, 'utf8');
      if (bytes > maxBytes) throw new PayloadTooLargeError(maxBytes);
    },
  };
  return [sizeLimit as MiddlewareObj, httpJsonBodyParser() as MiddlewareObj];
}

/**
 * Validates the parsed body against a zod schema and replaces it with the parsed value (unknown
 * fields are dropped: a client-sent `lineUserId` never reaches a use case).
 */
export function validateBody(schema: ZodMiniType): MiddlewareObj {
  return {
    before: async (request) => {
      const event = request.event as { body: unknown };
      const result = schema.safeParse(event.body);
      if (!result.success) {
        throw new InvalidRequestError(
          'The request body does not have the expected shape.',
          result.error.issues.map((issue) => ({
            path: issue.path.map(String).join('.') || '(body)',
            message: issue.message,
          })),
        );
      }
      event.body = result.data;
    },
  };
}
