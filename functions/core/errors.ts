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

/**
 * Member data (patterns 2 and 3) did not verify. Deliberately one error for an unknown member,
 * a wrong factor and a record without that factor: the response must not tell them apart.
 */
export class VerificationFailedError extends DomainError {
  constructor() {
    super('verification-failed', 'The member number and the details entered do not match our records.');
  }
}

/**
 * Too many verification attempts (per member, per LINE user or overall): nothing is checked until
 * the lock ends. The HTTP edge sends `Retry-After` from {@link retryAfterSeconds}.
 */
export class TooManyAttemptsError extends DomainError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('too-many-attempts', 'Too many attempts. Try again later.');
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** Why the `state` of a web-login callback could not be used (issue 3). */
export type LoginStateProblem = 'missing' | 'unknown' | 'expired' | 'not-bound';

const LOGIN_STATE_MESSAGES: Record<LoginStateProblem, string> = {
  missing: 'The sign-in response carried no login state.',
  unknown: 'This sign-in is unknown or was already used.',
  expired: 'This sign-in took too long and has expired.',
  'not-bound': 'This sign-in was started in another browser or the browser lost its sign-in cookie.',
};

/**
 * The web flow's state could not be consumed: missing, unknown or already used, expired, or not
 * bound to the calling browser (login CSRF, or LINE's auto-login bouncing the user to another
 * browser). Nothing was consumed or redeemed; the user is offered a fresh start.
 */
export class LoginStateError extends DomainError {
  readonly problem: LoginStateProblem;

  constructor(problem: LoginStateProblem) {
    super(`login-state-${problem}`, LOGIN_STATE_MESSAGES[problem]);
    this.problem = problem;
  }
}

/** A `returnTo` that is not exactly one of APP_RETURN_URLS. */
export class ReturnToNotAllowedError extends DomainError {
  constructor() {
    super('return-to-not-allowed', 'returnTo must be one of the return URLs configured for this service.');
  }
}

/**
 * The authorization server refused to redeem an authorization code (`invalid_grant`: expired,
 * already used, PKCE verifier or redirect URI not matching the authorization request).
 */
export class AuthorizationCodeRejectedError extends DomainError {
  readonly realm: TokenRealm;

  constructor(realm: TokenRealm) {
    super(
      `${realm}-code-rejected`,
      realm === 'line' ? 'LINE did not accept this sign-in.' : 'The company sign-in was not accepted.',
    );
    this.realm = realm;
  }
}

/**
 * The authorization server sent the browser back with an `error` instead of a code. The user
 * cancelling (`access_denied`) has its own code, `login-cancelled`; anything else is
 * `{realm}-authorization-failed`. The server's `error` value is kept for logs only.
 */
export class AuthorizationFailedError extends DomainError {
  readonly realm: TokenRealm;
  readonly reason: string;

  constructor(realm: TokenRealm, reason: string) {
    const cancelled = reason === 'access_denied';
    super(
      cancelled ? 'login-cancelled' : `${realm}-authorization-failed`,
      cancelled
        ? 'The sign-in was cancelled.'
        : realm === 'line'
          ? 'LINE could not complete the sign-in.'
          : 'The company sign-in could not be completed.',
    );
    this.realm = realm;
    // Attacker-controlled (a query parameter): kept short and plain for logs.
    this.reason = reason.replace(/[^A-Za-z0-9_.-]/g, '?').slice(0, 64);
  }

  get cancelled(): boolean {
    return this.code === 'login-cancelled';
  }
}

// ------------------------------------------------------------------ admin API and messages

/**
 * An `/admin/…` request without a verified caller identity (no valid AWS request signature).
 * API Gateway refuses these before the function runs; the handlers check again, so a route
 * deployed without its authorizer by mistake still refuses everyone.
 */
export class AdminForbiddenError extends DomainError {
  constructor() {
    super('admin-forbidden', 'This route needs a request signed with AWS credentials allowed to call it.');
  }
}

/** A message job ID that this service never issued (or whose record expired). */
export class MessageJobNotFoundError extends DomainError {
  constructor() {
    super('message-job-not-found', 'There is no message job with this ID.');
  }
}
