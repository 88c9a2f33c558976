import type * as coreErrors from '../../core/errors.js';
import type { ErrorCodesOf } from '../../core/errors.js';
import type * as httpErrors from './http-errors.js';
import { countMetric, type BusinessMetric } from '../../observability/metrics.js';

/** Every code the core and its adapters can raise: those of every class `core/errors.ts` exports. */
export type CoreErrorCode = ErrorCodesOf<typeof coreErrors>;
/** Every code only the HTTP edge raises: those of every class `http-errors.ts` exports. */
export type HttpErrorCode = ErrorCodesOf<typeof httpErrors>;

/** Every stable error code a client can receive. */
export type ErrorCode = CoreErrorCode | HttpErrorCode;

/** How the edge answers one error code. */
export interface ErrorTreatment {
  /** Status of the `application/problem+json` answer of the JSON API. */
  readonly status: number;
  /**
   * Status of the HTML page of the browser-facing web flow: a bad or stale sign-in is the
   * browser's request being unusable (400, never 401, which asks for HTTP authentication), and
   * a cancelled sign-in is an ordinary outcome (200).
   */
  readonly page: number;
  /** The business metric the refusal counts towards (dashboard and alarms), if any. */
  readonly metric?: BusinessMetric;
}

/**
 * The one table from error codes to statuses and metrics. It must have exactly one row per
 * {@link ErrorCode}: a new error class (or a new code of a family) does not compile until its
 * row is added here. Codes of the web flow's callbacks (`login-*`, `*-code-rejected`,
 * `*-authorization-failed`) only ever reach pages; their `status` is what the JSON API would say.
 */
export const ERROR_TABLE = {
  'invalid-request': { status: 400, page: 400 },
  'return-to-not-allowed': { status: 400, page: 400 },
  'malformed-json': { status: 400, page: 400 },
  'missing-line-token': { status: 401, page: 400 },
  'invalid-line-token': { status: 401, page: 400, metric: 'RejectedTokens' },
  'invalid-company-token': { status: 401, page: 400, metric: 'RejectedTokens' },
  'company-token-replayed': { status: 401, page: 400, metric: 'RejectedTokens' },
  'line-nonce-required': { status: 401, page: 400, metric: 'RejectedTokens' },
  'line-nonce-rejected': { status: 401, page: 400, metric: 'RejectedTokens' },
  'invalid-webhook-signature': { status: 401, page: 400, metric: 'WebhookSignatureRejected' },
  'admin-forbidden': { status: 403, page: 403 },
  'not-linked': { status: 404, page: 404 },
  'message-job-not-found': { status: 404, page: 404 },
  'audience-job-not-found': { status: 404, page: 404 },
  'route-not-found': { status: 404, page: 404 },
  'method-not-allowed': { status: 405, page: 405 },
  'line-user-already-linked': { status: 409, page: 409, metric: 'LinkConflicts' },
  'company-user-already-linked': { status: 409, page: 409, metric: 'LinkConflicts' },
  'idempotency-key-in-progress': { status: 409, page: 409 },
  'payload-too-large': { status: 413, page: 413 },
  'unsupported-media-type': { status: 415, page: 415 },
  'verification-failed': { status: 422, page: 422 },
  'idempotency-key-reused': { status: 422, page: 422 },
  'too-many-attempts': { status: 429, page: 429, metric: 'Lockouts' },
  'feature-disabled': { status: 501, page: 501 },
  'line-bad-response': { status: 502, page: 502 },
  'company-idp-bad-response': { status: 502, page: 502 },
  'company-api-bad-response': { status: 502, page: 502 },
  'line-unavailable': { status: 503, page: 503 },
  'company-idp-unavailable': { status: 503, page: 503 },
  'company-api-unavailable': { status: 503, page: 503 },
  'write-contended': { status: 503, page: 503 },
  'storage-unavailable': { status: 503, page: 503 },
  'login-state-missing': { status: 400, page: 400 },
  'login-state-unknown': { status: 400, page: 400 },
  'login-state-expired': { status: 400, page: 400 },
  'login-state-not-bound': { status: 400, page: 400 },
  'login-cancelled': { status: 400, page: 200 },
  'line-code-rejected': { status: 400, page: 400 },
  'company-code-rejected': { status: 400, page: 400 },
  'line-authorization-failed': { status: 400, page: 400 },
  'company-authorization-failed': { status: 400, page: 400 },
} as const satisfies Record<ErrorCode, ErrorTreatment>;

/** The row of `code`, or undefined for a code the table does not know (a bug: answered as 500). */
export function errorTreatment(code: string): ErrorTreatment | undefined {
  return Object.hasOwn(ERROR_TABLE, code) ? ERROR_TABLE[code as ErrorCode] : undefined;
}

/** The `title` of a problem with each status (RFC 9110 §15 reason phrases). */
export const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Counts a refusal if the error table gives its code a business metric. */
export function countRefusal(code: string): void {
  const name = errorTreatment(code)?.metric;
  if (name) countMetric(name);
}
