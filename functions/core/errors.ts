/**
 * The one error hierarchy of the service. Every error the core or an adapter raises on purpose
 * is a {@link DomainError} with a stable, kebab-case `code` that clients can branch on; the HTTP
 * edge maps codes to statuses in a single table (`functions/handlers/http/problem.ts`), and
 * anything that is not a DomainError becomes a generic 500 that leaks nothing.
 *
 * Messages are written for the API consumer: they never contain a token, a secret or a factor.
 */
export class DomainError extends Error {
  /** Stable machine-readable code; part of the public API contract. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The request itself is malformed: wrong body shape, missing field, bad parameter. */
export class InvalidRequestError extends DomainError {
  /** Field-level problems, safe to show (paths and messages, never values). */
  readonly errors: ReadonlyArray<{ path: string; message: string }>;

  constructor(
    message: string,
    errors: ReadonlyArray<{ path: string; message: string }> = [],
    code = 'invalid-request',
  ) {
    super(code, message);
    this.errors = errors;
  }
}

/** Which identity a token was supposed to prove. */
export type TokenRealm = 'line' | 'company';

/**
 * A presented token failed verification: bad signature, wrong `iss`/`aud`, expired, wrong
 * algorithm, unknown key, revoked. The `reason` is for logs only; clients get the code.
 */
export class InvalidTokenError extends DomainError {
  readonly realm: TokenRealm;
  /** Why verification failed, for logs only (e.g. `"exp" claim timestamp check failed`). */
  readonly reason: string;

  constructor(realm: TokenRealm, reason: string, options?: { cause?: unknown }) {
    super(
      realm === 'line' ? 'invalid-line-token' : 'invalid-company-token',
      realm === 'line'
        ? 'The LINE token could not be verified.'
        : 'The company ID token could not be verified.',
      options,
    );
    this.realm = realm;
    this.reason = reason;
  }
}

/** No `Authorization: Bearer` credential was sent where one is required. */
export class MissingTokenError extends DomainError {
  constructor() {
    super('missing-line-token', 'An Authorization: Bearer header with a LINE token is required.');
  }
}

/** Which external system failed. */
export type Upstream = 'line' | 'company-idp' | 'company-api';

/**
 * An external dependency (LINE Platform, company IdP, company API) could not be reached,
 * timed out, or answered garbage. We fail closed: nothing is linked.
 */
export class UpstreamError extends DomainError {
  readonly upstream: Upstream;
  /** `unavailable` → 503 (try later), `bad-response` → 502 (the upstream misbehaved). */
  readonly kind: 'unavailable' | 'bad-response';

  constructor(upstream: Upstream, kind: 'unavailable' | 'bad-response', options?: { cause?: unknown }) {
    super(
      `${upstream}-${kind === 'unavailable' ? 'unavailable' : 'bad-response'}`,
      kind === 'unavailable'
        ? `The ${upstream} service is unavailable; try again later.`
        : `The ${upstream} service sent an unexpected response.`,
      options,
    );
    this.upstream = upstream;
    this.kind = kind;
  }
}

/** Base of the two one-to-one conflicts; a conflict is never resolved by overwriting. */
export class AlreadyLinkedError extends DomainError {}

/** The LINE user is already linked to a different company user. */
export class LineUserAlreadyLinkedError extends AlreadyLinkedError {
  constructor() {
    super('line-user-already-linked', 'This LINE account is already linked to another member.');
  }
}

/** The company user is already linked to a different LINE user. */
export class CompanyUserAlreadyLinkedError extends AlreadyLinkedError {
  constructor() {
    super('company-user-already-linked', 'This member is already linked to another LINE account.');
  }
}

/** The caller has no link. */
export class NotLinkedError extends DomainError {
  constructor() {
    super('not-linked', 'This LINE account is not linked.');
  }
}

/** A configured feature is not available in this deployment (e.g. pattern 1 without an IdP). */
export class FeatureDisabledError extends DomainError {
  constructor(feature: string, missing: string) {
    super('feature-disabled', `${feature} is not configured on this deployment (missing ${missing}).`);
  }
}
