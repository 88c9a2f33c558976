import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { MiddlewareObj } from '@middy/core';
import { DomainError, InvalidRequestError, InvalidTokenError, MissingTokenError } from '../../core/errors.js';
import { logger } from '../../observability/logger.js';
import { countRefusal, errorTreatment, STATUS_TITLES } from './error-table.js';
import {
  MalformedJsonError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './http-errors.js';

/** RFC 9457 problem details as this API sends them; `code` is the stable extension member. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: ReadonlyArray<{ path: string; message: string }>;
}

/** Turns any thrown value into a problem response; unknown errors leak nothing. */
export function problemResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const domain = toDomainError(error);
  const status = domain ? errorTreatment(domain.code)?.status : undefined;
  if (!domain || status === undefined) {
    logger.error('unhandled error', { error: error instanceof Error ? error : String(error) });
    return respond({
      type: problemType('internal-error'),
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred.',
      code: 'internal-error',
    });
  }
  countRefusal(domain.code);
  const level = status >= 500 ? 'error' : 'info';
  logger[level]('request refused', {
    code: domain.code,
    status,
    ...(domain instanceof InvalidTokenError ? { reason: domain.reason } : {}),
    ...(domain.cause instanceof Error ? { cause: domain.cause.name } : {}),
  });
  const problem: Problem = {
    type: problemType(domain.code),
    title: STATUS_TITLES[status] ?? 'Error',
    status,
    detail: domain.message,
    code: domain.code,
    ...(domain instanceof InvalidRequestError && domain.errors.length ? { errors: domain.errors } : {}),
  };
  const headers: Record<string, string> = {};
  if (status === 401 && domain.code !== 'invalid-webhook-signature') {
    headers['WWW-Authenticate'] =
      domain instanceof MissingTokenError
        ? 'Bearer realm="line-id-link"'
        : 'Bearer realm="line-id-link", error="invalid_token"';
  }
  if (domain instanceof MethodNotAllowedError) headers.Allow = domain.allow.join(', ');
  const retryAfter = (domain as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['Retry-After'] = String(Math.ceil(retryAfter));
  return respond(problem, headers);
}

/** Middy middleware: on any error, answer with problem+json (registered after cors/headers). */
export function problemResponses(): MiddlewareObj {
  return {
    onError: async (request) => {
      request.response = problemResponse(request.error);
    },
  };
}

function respond(problem: Problem, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(problem),
  };
}

function problemType(code: string): string {
  return `urn:line-id-link:problem:${code}`;
}

/** Errors raised by middy's own middlewares (http-errors style) mapped into our hierarchy. */
function toDomainError(error: unknown): DomainError | undefined {
  if (error instanceof DomainError) return error;
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  const pkg = ((error as { cause?: { package?: unknown } } | undefined)?.cause ?? {}).package;
  if (pkg === '@middy/http-json-body-parser') {
    return status === 415 ? new UnsupportedMediaTypeError() : new MalformedJsonError();
  }
  if (status === 413) return new PayloadTooLargeError(0);
  return undefined;
}
