/**
 * The one error hierarchy of the service. Every error the core or an adapter raises on purpose
 * is a {@link DomainError} with a stable, kebab-case `code` that clients can branch on; the HTTP
 * edge gives every code its statuses and metric in one typed table
 * (`functions/handlers/http/error-table.ts`), and anything that is not a DomainError becomes a
 * generic 500 that leaks nothing.
 *
 * Codes are types, as in jose: each class declares its code as `static readonly code` (or, for a
 * family such as {@link UpstreamError}, its codes as `static readonly codes`), and
 * the error table's `CoreErrorCode` is the union of the codes of every class this module exports
 * (derived there, so this module does not import itself). A new class adds its code to the union,
 * and the error table stops compiling until the code has a row.
 *
 * Messages are written for the API consumer: they never contain a token, a secret or a factor.
 */
export abstract class DomainError extends Error {
  /** Stable machine-readable code; part of the public API contract. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The code (`static code`) or codes (`static codes`) an error class declares. */
export type CodesOf<C> = C extends { readonly code: infer K extends string }
  ? K
  : C extends { readonly codes: ReadonlyArray<infer K extends string> }
    ? K
    : never;

/** The codes of every DomainError class exported by module `M` (e.g. `typeof import('./errors.js')` from another module). */
export type ErrorCodesOf<M> = {
  [K in keyof M]: M[K] extends abstract new (...args: never[]) => DomainError ? CodesOf<M[K]> : never;
}[keyof M];

/** The request itself is malformed: wrong body shape, missing field, bad parameter. */
export class InvalidRequestError extends DomainError {
  static readonly code = 'invalid-request';
  readonly code = InvalidRequestError.code;
  /** Field-level problems, safe to show (paths and messages, never values). */
  readonly errors: ReadonlyArray<{ path: string; message: string }>;

  constructor(message: string, errors: ReadonlyArray<{ path: string; message: string }> = []) {
    super(message);
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
  static readonly codes = ['invalid-line-token', 'invalid-company-token'] as const;
  readonly code: (typeof InvalidTokenError.codes)[number];
  readonly realm: TokenRealm;
  /** Why verification failed, for logs only (e.g. `"exp" claim timestamp check failed`). */
  readonly reason: string;

  constructor(realm: TokenRealm, reason: string, options?: { cause?: unknown }) {
    super(
      realm === 'line' ? 'The LINE token could not be verified.' : 'The company token could not be verified.',
      options,
    );
    this.code = realm === 'line' ? 'invalid-line-token' : 'invalid-company-token';
    this.realm = realm;
    this.reason = reason;
  }
}

/** No `Authorization: Bearer` credential was sent where one is required. */
export class MissingTokenError extends DomainError {
  static readonly code = 'missing-line-token';
  readonly code = MissingTokenError.code;

  constructor() {
    super('An Authorization: Bearer header with a LINE token is required.');
  }
}

/** Which external system failed. */
export type Upstream = 'line' | 'company-idp' | 'company-api';

/**
 * An external dependency (LINE Platform, company IdP, company API) could not be reached,
 * timed out, or answered garbage. We fail closed: nothing is linked.
 */
export class UpstreamError extends DomainError {
  static readonly codes = [
    'line-unavailable',
    'line-bad-response',
    'company-idp-unavailable',
    'company-idp-bad-response',
    'company-api-unavailable',
    'company-api-bad-response',
  ] as const satisfies ReadonlyArray<`${Upstream}-${'unavailable' | 'bad-response'}`>;
  readonly code: (typeof UpstreamError.codes)[number];
  readonly upstream: Upstream;
  /** `unavailable` → 503 (try later), `bad-response` → 502 (the upstream misbehaved). */
  readonly kind: 'unavailable' | 'bad-response';

  constructor(upstream: Upstream, kind: 'unavailable' | 'bad-response', options?: { cause?: unknown }) {
    super(
      kind === 'unavailable'
        ? `The ${upstream} service is unavailable; try again later.`
        : `The ${upstream} service sent an unexpected response.`,
      options,
    );
    this.code = `${upstream}-${kind}`;
    this.upstream = upstream;
    this.kind = kind;
  }
}

/** Base of the two one-to-one conflicts; a conflict is never resolved by overwriting. */
export abstract class AlreadyLinkedError extends DomainError {
  abstract override readonly code: 'line-user-already-linked' | 'company-user-already-linked';
}

/** The LINE user is already linked to a different company user. */
export class LineUserAlreadyLinkedError extends AlreadyLinkedError {
  static readonly code = 'line-user-already-linked';
  readonly code = LineUserAlreadyLinkedError.code;

  constructor() {
    super('This LINE account is already linked to another member.');
  }
}

/** The company user is already linked to a different LINE user. */
export class CompanyUserAlreadyLinkedError extends AlreadyLinkedError {
  static readonly code = 'company-user-already-linked';
  readonly code = CompanyUserAlreadyLinkedError.code;

  constructor() {
    super('This member is already linked to another LINE account.');
  }
}

/**
 * A company ID token sent to `POST /links` by another LINE user than the one it is bound to:
 * each token belongs, until it expires, to the first LINE user whose link request it served, so
 * a token that leaked cannot link a second LINE account. Nothing was written. (The same user
 * sending it again is a retry, answered as one.)
 */
export class CompanyTokenReplayedError extends DomainError {
  static readonly code = 'company-token-replayed';
  readonly code = CompanyTokenReplayedError.code;

  constructor() {
    super('This company ID token was already used from another LINE account. Sign in to the company again.');
  }
}

/**
 * LINE_REQUIRE_NONCE is on and the LINE credential carries no nonce: an access token (which has
 * no claims to carry one) or an ID token without a `nonce` claim. Nothing was written.
 */
export class LineNonceRequiredError extends DomainError {
  static readonly code = 'line-nonce-required';
  readonly code = LineNonceRequiredError.code;

  constructor() {
    super(
      'This service requires a LINE ID token with a nonce from POST /links/nonce. Get a nonce and log in to LINE with it.',
    );
  }
}

/**
 * The LINE ID token's `nonce` is not a nonce this service issued, has expired, or was already
 * used by another link: a nonce is good for one link (LINE's "Creating a secure login process").
 * Nothing was written.
 */
export class LineNonceRejectedError extends DomainError {
  static readonly code = 'line-nonce-rejected';
  readonly code = LineNonceRejectedError.code;

  constructor() {
    super(
      'The nonce of this LINE login is unknown, expired or already used. Get a new nonce and log in again.',
    );
  }
}

/** The caller has no link. */
export class NotLinkedError extends DomainError {
  static readonly code = 'not-linked';
  readonly code = NotLinkedError.code;

  constructor() {
    super('This LINE account is not linked.');
  }
}

/**
 * A link could not be written because the same records kept changing under it (concurrent
 * writes to the same user, retried a bounded number of times). Nothing was written; the client
 * may try again. The contention is a burst of writes for one user, over within a moment, so the
 * HTTP edge sends `Retry-After` from {@link retryAfterSeconds} (the least whole second).
 */
export class WriteContendedError extends DomainError {
  static readonly code = 'write-contended';
  readonly code = WriteContendedError.code;
  readonly retryAfterSeconds = 1;

  constructor(options?: { cause?: unknown }) {
    super('The records changed while they were being written; nothing was changed. Try again.', options);
  }
}

/**
 * The storage could not be used: throttling, a server error, a connection reset or a timeout
 * that outlasted the storage client's own retries (functions/adapters/dynamo/dynamo-client.ts).
 * Whether a write that was under way took effect is unknown: repeating the request finds out.
 * The HTTP edge sends `Retry-After` from {@link retryAfterSeconds}. A refused condition is never
 * this error: it is an answer, not a fault.
 */
export class StorageUnavailableError extends DomainError {
  static readonly code = 'storage-unavailable';
  readonly code = StorageUnavailableError.code;
  readonly retryAfterSeconds: number;

  constructor(options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super('The storage is unavailable at the moment; try again shortly.', options);
    this.retryAfterSeconds = Math.max(1, Math.ceil(options?.retryAfterSeconds ?? 1));
  }
}

/** A configured feature is not available in this deployment (e.g. pattern 1 without an IdP). */
export class FeatureDisabledError extends DomainError {
  static readonly code = 'feature-disabled';
  readonly code = FeatureDisabledError.code;

  constructor(feature: string, missing: string) {
    super(`${feature} is not configured on this deployment (missing ${missing}).`);
  }
}

/**
 * Member data (patterns 2 and 3) did not verify. Deliberately one error for an unknown member,
 * a wrong factor and a record without that factor: the response must not tell them apart.
 */
export class VerificationFailedError extends DomainError {
  static readonly code = 'verification-failed';
  readonly code = VerificationFailedError.code;

  constructor() {
    super('The member number and the details entered do not match our records.');
  }
}

/**
 * Too many verification attempts (per member, per LINE user or overall): nothing is checked until
 * the lock ends. The HTTP edge sends `Retry-After` from {@link retryAfterSeconds}.
 */
export class TooManyAttemptsError extends DomainError {
  static readonly code = 'too-many-attempts';
  readonly code = TooManyAttemptsError.code;
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('Too many attempts. Try again later.');
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** Why the `state` of a web-login callback could not be used (docs/web-flow.md). */
export const LOGIN_STATE_PROBLEMS = ['missing', 'unknown', 'expired', 'not-bound'] as const;
export type LoginStateProblem = (typeof LOGIN_STATE_PROBLEMS)[number];

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
  static readonly codes = [
    'login-state-missing',
    'login-state-unknown',
    'login-state-expired',
    'login-state-not-bound',
  ] as const satisfies ReadonlyArray<`login-state-${LoginStateProblem}`>;
  readonly code: (typeof LoginStateError.codes)[number];
  readonly problem: LoginStateProblem;

  constructor(problem: LoginStateProblem) {
    super(LOGIN_STATE_MESSAGES[problem]);
    this.code = `login-state-${problem}`;
    this.problem = problem;
  }
}

/** A `returnTo` that is not exactly one of APP_RETURN_URLS. */
export class ReturnToNotAllowedError extends DomainError {
  static readonly code = 'return-to-not-allowed';
  readonly code = ReturnToNotAllowedError.code;

  constructor() {
    super('returnTo must be one of the return URLs configured for this service.');
  }
}

/**
 * The authorization server refused to redeem an authorization code (`invalid_grant`: expired,
 * already used, PKCE verifier or redirect URI not matching the authorization request).
 */
export class AuthorizationCodeRejectedError extends DomainError {
  static readonly codes = [
    'line-code-rejected',
    'company-code-rejected',
  ] as const satisfies ReadonlyArray<`${TokenRealm}-code-rejected`>;
  readonly code: (typeof AuthorizationCodeRejectedError.codes)[number];
  readonly realm: TokenRealm;

  constructor(realm: TokenRealm) {
    super(realm === 'line' ? 'LINE did not accept this sign-in.' : 'The company sign-in was not accepted.');
    this.code = `${realm}-code-rejected`;
    this.realm = realm;
  }
}

/**
 * The authorization server sent the browser back with an `error` instead of a code. The user
 * cancelling (`access_denied`) has its own code, `login-cancelled`; anything else is
 * `{realm}-authorization-failed`. The server's `error` value is kept for logs only.
 */
export class AuthorizationFailedError extends DomainError {
  static readonly codes = [
    'login-cancelled',
    'line-authorization-failed',
    'company-authorization-failed',
  ] as const satisfies ReadonlyArray<'login-cancelled' | `${TokenRealm}-authorization-failed`>;
  readonly code: (typeof AuthorizationFailedError.codes)[number];
  readonly realm: TokenRealm;
  readonly reason: string;

  constructor(realm: TokenRealm, reason: string) {
    const cancelled = reason === 'access_denied';
    super(
      cancelled
        ? 'The sign-in was cancelled.'
        : realm === 'line'
          ? 'LINE could not complete the sign-in.'
          : 'The company sign-in could not be completed.',
    );
    this.code = cancelled ? 'login-cancelled' : `${realm}-authorization-failed`;
    this.realm = realm;
    // Attacker-controlled (a query parameter): kept short and plain for logs.
    this.reason = reason.replace(/[^A-Za-z0-9_.-]/g, '?').slice(0, 64);
  }

  get cancelled(): boolean {
    return this.code === 'login-cancelled';
  }
}

// ------------------------------------------------------------------ admin API and messages

/** A message job ID that this service never issued (or whose record expired). */
export class MessageJobNotFoundError extends DomainError {
  static readonly code = 'message-job-not-found';
  readonly code = MessageJobNotFoundError.code;

  constructor() {
    super('There is no message job with this ID.');
  }
}

/** An audience job ID that this service never issued (or whose record expired). */
export class AudienceJobNotFoundError extends DomainError {
  static readonly code = 'audience-job-not-found';
  readonly code = AudienceJobNotFoundError.code;

  constructor() {
    super('There is no audience job with this ID.');
  }
}

/**
 * An `Idempotency-Key` this caller already used, within the last 24 hours, for a request with
 * another body. Nothing was sent; the first request's answer stays what the key gives
 * (draft-ietf-httpapi-idempotency-key-header §2.7: 422 for a key reused with another payload).
 */
export class IdempotencyKeyReusedError extends DomainError {
  static readonly code = 'idempotency-key-reused';
  readonly code = IdempotencyKeyReusedError.code;

  constructor() {
    super(
      'This Idempotency-Key was already used for a different request. Send the same request again, or use a new key.',
    );
  }
}

/**
 * The first request with this `Idempotency-Key` is still being processed (draft-ietf-httpapi-
 * idempotency-key-header §2.7: 409). Nothing was done for this one; trying again after
 * {@link retryAfterSeconds} (sent as `Retry-After`) gets the first request's answer once it is
 * there. A first attempt that died holds the key only until its lease lapses.
 */
export class IdempotencyKeyInProgressError extends DomainError {
  static readonly code = 'idempotency-key-in-progress';
  readonly code = IdempotencyKeyInProgressError.code;
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, options?: { cause?: unknown }) {
    super('A request with this Idempotency-Key is still being processed. Try again shortly.', options);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}
