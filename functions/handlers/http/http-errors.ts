import { DomainError } from '../../core/errors.js';

/**
 * Errors that only exist at the HTTP edge (they describe the request, not the domain); they
 * share the DomainError hierarchy so one table maps every code to a status.
 */
export class UnsupportedMediaTypeError extends DomainError {
  constructor() {
    super('unsupported-media-type', 'The request body must be JSON (Content-Type: application/json).');
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(maxBytes: number) {
    super('payload-too-large', `The request body must not exceed ${maxBytes} bytes.`);
  }
}

export class MalformedJsonError extends DomainError {
  constructor() {
    super('malformed-json', 'The request body is not valid JSON.');
  }
}

export class RouteNotFoundError extends DomainError {
  constructor() {
    super('route-not-found', 'No such route.');
  }
}

export class MethodNotAllowedError extends DomainError {
  /** Methods the path does support, for the `Allow` header. */
  readonly allow: readonly string[];

  constructor(allow: readonly string[]) {
    super('method-not-allowed', `Method not allowed; use ${allow.join(', ')}.`);
    this.allow = allow;
  }
}
