import { AlreadyLinkedError, AuthorizationFailedError, DomainError, LoginStateError } from '../errors.js';
import type {
  Clock,
  LineIdentityVerifier,
  LoginSessionStore,
  OAuthLoginClient,
  RandomSource,
} from '../ports/index.js';
import {
  BINDING_BYTES,
  bindingHash,
  pkceChallenge,
  resolveReturnTo,
  returnUrlWithResult,
  STATE_BYTES,
  STATE_PATTERN,
  VERIFIER_BYTES,
  type LoginLeg,
  type LoginSession,
  type WebLinkResult,
  type WebLoginSettings,
} from '../login-session.js';
import { linkAccounts, type LinkAccountsPorts } from './link-accounts.js';

/**
 * The web linking flow (pattern 1 from a plain web page; docs/web-flow.md):
 *
 * 1. {@link startLineLogin}: a LINE login session (state, nonce, PKCE) bound to a fresh browser
 *    binding value; the browser goes to LINE.
 * 2. {@link completeLineLogin}: LINE's callback consumes that session exactly once, redeems the
 *    code with the PKCE verifier, verifies the HS256 ID token (nonce included), and opens the
 *    company leg: a new session carrying the verified LINE user ID, under a new binding value.
 *    ({@link startCompanyLogin} opens the same leg for a LIFF app that already holds a LINE token.)
 * 3. {@link completeCompanyLogin}: the company IdP's callback consumes the company session,
 *    redeems and verifies likewise, and links through {@link linkAccounts} with method `oidc`,
 *    exactly as `POST /links` does.
 *
 * Binding values are random secrets the handler puts in an HttpOnly cookie; only their hash is
 * stored, so a leaked session item cannot be replayed from another browser.
 */

/** Ports of the web flow. */
export interface WebLoginPorts {
  sessions: LoginSessionStore;
  lineLogin: OAuthLoginClient;
  companyLogin: OAuthLoginClient;
  random: RandomSource;
  clock: Clock;
  settings: WebLoginSettings;
}

/** A leg was opened: send the browser to `redirectTo` and set the binding cookie to `binding`. */
export interface LegStarted {
  redirectTo: string;
  binding: string;
}

/** Input of a callback, straight from the query string and the binding cookie (all untrusted). */
export interface CallbackInput {
  state?: string;
  code?: string;
  error?: string;
  /** The authorization server's issuer identifier, when it sends one (RFC 9207). */
  iss?: string;
  binding?: string;
}

/** `GET /auth/line/login`: opens the LINE leg. @throws ReturnToNotAllowedError */
export async function startLineLogin(
  input: { returnTo?: string; disableAutoLogin?: boolean; consentVersion?: string },
  ports: WebLoginPorts,
): Promise<LegStarted> {
  const returnTo = resolveReturnTo(input.returnTo, ports.settings.returnUrls);
  return openLeg(
    'line',
    { returnTo, consentVersion: input.consentVersion },
    ports,
    input.disableAutoLogin ? { disableAutoLogin: true } : {},
  );
}

/** Outcome of the LINE callback once its session was consumed. */
export type LineCallbackOutcome =
  | ({ kind: 'continue'; lineUserId: string } & LegStarted)
  | { kind: 'cancelled'; returnTo: string; error: AuthorizationFailedError }
  | { kind: 'failed'; returnTo: string; error: DomainError };

/**
 * `GET /auth/line/callback`.
 * @throws LoginStateError before anything was consumed (missing, unknown, replayed, expired, other browser)
 */
export async function completeLineLogin(
  input: CallbackInput,
  ports: WebLoginPorts,
): Promise<LineCallbackOutcome> {
  const session = await consumeSession('line', input, ports);
  const { returnTo } = session;
  try {
    const line = await redeemAndVerify(
      ports.lineLogin,
      'line',
      input,
      session,
      ports.settings.lineRedirectUri,
    );
    const next = await openLeg(
      'company',
      {
        returnTo,
        lineUserId: line.userId,
        lineChannelId: line.channelId,
        consentVersion: session.consentVersion,
      },
      ports,
      {},
    );
    return { kind: 'continue', lineUserId: line.userId, ...next };
  } catch (error) {
    if (error instanceof AuthorizationFailedError && error.cancelled)
      return { kind: 'cancelled', returnTo, error };
    if (error instanceof DomainError) return { kind: 'failed', returnTo, error };
    throw error;
  }
}

/** Ports of {@link startCompanyLogin}. */
export interface StartCompanyLoginPorts extends WebLoginPorts {
  line: LineIdentityVerifier;
}

/**
 * `POST /auth/company/start`: a LIFF app that already holds a LINE token opens the company leg
 * directly. @throws MissingTokenError / InvalidTokenError / ReturnToNotAllowedError / UpstreamError
 */
export async function startCompanyLogin(
  input: { lineToken: string; returnTo?: string; consentVersion?: string },
  ports: StartCompanyLoginPorts,
): Promise<LegStarted> {
  const returnTo = resolveReturnTo(input.returnTo, ports.settings.returnUrls);
  const line = await ports.line.verifyBearer(input.lineToken);
  return openLeg(
    'company',
    {
      returnTo,
      lineUserId: line.userId,
      lineChannelId: line.channelId,
      consentVersion: input.consentVersion,
    },
    ports,
    {},
  );
}

/** Outcome of the company callback: always a redirect to the app with a result. */
export interface CompanyCallbackOutcome {
  redirectTo: string;
  result: WebLinkResult;
  /** Why the result is `cancelled`, `conflict` or `error` (for logs, never for the URL). */
  error?: DomainError;
}

/**
 * `GET /auth/company/callback`: verifies the company identity and links it to the LINE user the
 * first leg proved. Unlike `POST /links` (linkWithOidc), no replay record of the company ID token
 * is kept: the token comes from this backend's own code exchange (PKCE), bound to the session's
 * nonce, and the session is consumed exactly once, so no other request can present it.
 * @throws LoginStateError before anything was consumed
 */
export async function completeCompanyLogin(
  input: CallbackInput,
  ports: WebLoginPorts & LinkAccountsPorts,
): Promise<CompanyCallbackOutcome> {
  const session = await consumeSession('company', input, ports);
  return finishCompanyLogin(session, input, ports);
}

/**
 * The company callback of the web flow once its session was consumed (the account-link flow
 * shares the callback URL and consumes the same kind of session; see account-link.ts).
 */
export async function finishCompanyLogin(
  session: LoginSession,
  input: CallbackInput,
  ports: WebLoginPorts & LinkAccountsPorts,
): Promise<CompanyCallbackOutcome> {
  const finish = (result: WebLinkResult, error?: DomainError): CompanyCallbackOutcome => ({
    redirectTo: returnUrlWithResult(session.returnTo, result),
    result,
    ...(error ? { error } : {}),
  });
  try {
    if (!session.lineUserId) throw new LoginStateError('unknown');
    const company = await redeemAndVerify(
      ports.companyLogin,
      'company',
      input,
      session,
      ports.settings.companyRedirectUri,
    );
    const { created } = await linkAccounts(
      {
        lineUserId: session.lineUserId,
        companyUserId: company.userId,
        method: 'oidc',
        ...(session.lineChannelId !== undefined ? { channelId: session.lineChannelId } : {}),
        ...(session.consentVersion !== undefined ? { consentVersion: session.consentVersion } : {}),
      },
      ports,
    );
    return finish(created ? 'linked' : 'already_linked');
  } catch (error) {
    if (error instanceof AlreadyLinkedError) return finish('conflict', error);
    if (error instanceof AuthorizationFailedError && error.cancelled) return finish('cancelled', error);
    if (error instanceof DomainError) return finish('error', error);
    throw error;
  }
}

// ------------------------------------------------------------------ steps

/** Opens a leg: a new session bound to a new binding value, and the authorization URL. */
export async function openLeg(
  leg: LoginLeg,
  carry: {
    returnTo: string;
    lineUserId?: string;
    lineChannelId?: string | undefined;
    consentVersion?: string | undefined;
    linkToken?: string;
  },
  ports: WebLoginPorts,
  options: { disableAutoLogin?: boolean },
): Promise<LegStarted> {
  const state = ports.random.hex(STATE_BYTES);
  const nonce = ports.random.hex(STATE_BYTES);
  const codeVerifier = ports.random.hex(VERIFIER_BYTES);
  const binding = ports.random.hex(BINDING_BYTES);
  const client = leg === 'line' ? ports.lineLogin : ports.companyLogin;
  // The URL first: if the IdP's discovery is down, no orphan session is written.
  const redirectTo = await client.authorizeUrl({
    state,
    nonce,
    codeChallenge: pkceChallenge(codeVerifier),
    redirectUri: leg === 'line' ? ports.settings.lineRedirectUri : ports.settings.companyRedirectUri,
    ...options,
  });
  const session: LoginSession = {
    state,
    leg,
    nonce,
    codeVerifier,
    returnTo: carry.returnTo,
    bindingHash: bindingHash(binding),
    expiresAt: Math.floor(ports.clock.now().getTime() / 1000) + ports.settings.sessionTtlSeconds,
    ...(carry.lineUserId !== undefined ? { lineUserId: carry.lineUserId } : {}),
    ...(carry.lineChannelId !== undefined ? { lineChannelId: carry.lineChannelId } : {}),
    ...(carry.consentVersion !== undefined ? { consentVersion: carry.consentVersion } : {}),
    ...(carry.linkToken !== undefined ? { linkToken: carry.linkToken } : {}),
  };
  await ports.sessions.create(session);
  return { redirectTo, binding };
}

/** Consumes the session a callback names, exactly once, from the browser bound to it. */
export async function consumeSession(
  leg: LoginLeg,
  input: CallbackInput,
  ports: WebLoginPorts,
): Promise<LoginSession> {
  if (input.state === undefined || input.state === '') throw new LoginStateError('missing');
  // Not one of ours: refuse without a database call.
  if (!STATE_PATTERN.test(input.state)) throw new LoginStateError('unknown');
  return ports.sessions.consume({
    state: input.state,
    leg,
    // No cookie: a hash no session has, so the store can still tell `not-bound` from `unknown`.
    bindingHash: input.binding ? bindingHash(input.binding) : '-',
    now: ports.clock.now(),
  });
}

/** Redeems the callback's code with the session's PKCE verifier and verifies the ID token. */
export async function redeemAndVerify(
  client: OAuthLoginClient,
  realm: 'line' | 'company',
  input: CallbackInput,
  session: LoginSession,
  redirectUri: string,
): Promise<{ userId: string; channelId?: string }> {
  // An error response still consumed the state above; no code is redeemed.
  if (input.error !== undefined) throw new AuthorizationFailedError(realm, input.error);
  if (!input.code) throw new AuthorizationFailedError(realm, 'missing_code');
  const idToken = await client.redeemCode({
    code: input.code,
    ...(input.iss !== undefined ? { iss: input.iss } : {}),
    redirectUri,
    codeVerifier: session.codeVerifier,
    nonce: session.nonce,
  });
  return client.verifyRedeemedIdToken(idToken, session.nonce);
}
