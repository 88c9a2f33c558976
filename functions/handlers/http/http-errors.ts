import { DomainError } from '../../core/errors.js';

/**
 * Errors that only exist at the HTTP edge (they describe the request, not the domain). They share
 * the DomainError hierarchy so that one table (error-table.ts) gives every code its status; like
 * the core's, each class declares its code as `static readonly code`.
 */
export class UnsupportedMediaTypeError extends DomainError {
  static readonly code = 'unsupported-media-type';
  readonly code = UnsupportedMediaTypeError.code;

  constructor() {
    super('The request body must be JSON (Content-Type: application/json).');
  }
}

export class PayloadTooLargeError extends DomainError {
  static readonly code = 'payload-too-large';
  readonly code = PayloadTooLargeError.code;

  constructor(maxBytes: number) {
    super(`The request body must not exceed ${maxBytes} bytes.`);
  }
}

export class MalformedJsonError extends DomainError {
  static readonly code = 'malformed-json';
  readonly code = MalformedJsonError.code;

  constructor() {
    super('The request body is not valid JSON.');
  }
}

/**
 * A webhook request whose `x-line-signature` is missing or is not the HMAC-SHA256 of its exact
 * body with the Messaging API channel secret: not from LINE, nothing is done.
 */
export class WebhookSignatureError extends DomainError {
  static readonly code = 'invalid-webhook-signature';
  readonly code = WebhookSignatureError.code;

  constructor() {
    super('The webhook signature is missing or invalid.');
  }
}

/**
 * An `/admin/…` request without a verified caller identity (no valid AWS request signature).
 * API Gateway refuses these before the function runs; the handlers check again, so a route
 * deployed without its authorizer by mistake still refuses everyone.
 */
export class AdminForbiddenError extends DomainError {
  static readonly code = 'admin-forbidden';
  readonly code = AdminForbiddenError.code;

  constructor() {
    super('This route needs a request signed with AWS credentials allowed to call it.');
  }
}

export class RouteNotFoundError extends DomainError {
  static readonly code = 'route-not-found';
  readonly code = RouteNotFoundError.code;

  constructor() {
    super('No such route.');
  }
}

export class MethodNotAllowedError extends DomainError {
  static readonly code = 'method-not-allowed';
  readonly code = MethodNotAllowedError.code;
  /** Methods the path does support, for the `Allow` header. */
  readonly allow: readonly string[];

  constructor(allow: readonly string[]) {
    super(`Method not allowed; use ${allow.join(', ')}.`);
    this.allow = allow;
  }
}
