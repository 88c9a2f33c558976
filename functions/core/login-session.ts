import { createHash } from 'node:crypto';
import { ReturnToNotAllowedError } from './errors.js';

/**
 * What a login session of the web linking flow is, and the rules around it: LINE web login
 * chained with the company IdP's authorization-code flow, each leg with its own `state`, `nonce`
 * and PKCE verifier, stored server-side, consumed exactly once and bound to the browser that
 * started it, returning only to an allowlisted URL. Its ports are in `ports/web-login.ts`; the
 * flow itself is `use-cases/link-by-web-login.ts`.
 */

/** The two authorization-code legs of the web flow. */
export type LoginLeg = 'line' | 'company';

/** One pending authorization request, stored until its callback consumes it (or it expires). */
export interface LoginSession {
  /** ≥ 128 random bits, alphanumeric (LINE's rule for `state`). */
  state: string;
  leg: LoginLeg;
  nonce: string;
  /** PKCE code verifier (RFC 7636); only its S256 challenge ever leaves the server. */
  codeVerifier: string;
  /** The validated return URL (one of APP_RETURN_URLS, canonical form). */
  returnTo: string;
  /** SHA-256 of the browser's binding cookie ({@link bindingHash}); the cookie itself is never stored. */
  bindingHash: string;
  /** Company leg only: the LINE user the first leg verified. */
  lineUserId?: string;
  /** Company leg only: the LINE channel whose token proved {@link lineUserId}. */
  lineChannelId?: string;
  /** Consent / policy version the front end passed at the start, for the audit trail. */
  consentVersion?: string;
  /**
   * Company leg of LINE's account-link flow (pattern 4) only: the link token the bot issued; the
   * callback then hands the user to LINE's account-link dialog instead of linking itself.
   */
  linkToken?: string;
  /** Epoch seconds; the session is unusable from then on (and DynamoDB's TTL removes it). */
  expiresAt: number;
}

/** Settings of the web flow the use cases need (built from loadWebConfig). */
export interface WebLoginSettings {
  /** `{PUBLIC_BASE_URL}/auth/line/callback` */
  lineRedirectUri: string;
  /** `{PUBLIC_BASE_URL}/auth/company/callback` */
  companyRedirectUri: string;
  /** APP_RETURN_URLS in canonical form; the first is the default `returnTo`. */
  returnUrls: readonly string[];
  /** Lifetime of a login session, seconds (600). */
  sessionTtlSeconds: number;
}

/** The outcome the app reads from `returnTo?result=`. */
export type WebLinkResult = 'linked' | 'already_linked' | 'conflict' | 'cancelled' | 'error';

/** Random bytes of a state and a nonce: 192 bits, above LINE's and OAuth's 128-bit floor. */
export const STATE_BYTES = 24;
/** A PKCE verifier of 64 hex characters (RFC 7636 allows 43 to 128). */
export const VERIFIER_BYTES = 32;
/** A binding cookie value: 256 bits. */
export const BINDING_BYTES = 32;

/** What a state we issued looks like; anything else is refused before touching the store. */
export const STATE_PATTERN = /^[0-9a-f]{48}$/;

/** The stored form of a binding cookie value. */
export function bindingHash(binding: string): string {
  return createHash('sha256').update(`line-id-link binding:${binding}`).digest('base64url');
}

/** The PKCE S256 challenge of a verifier (RFC 7636 4.2). */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

const MAX_RETURN_TO_LENGTH = 2048;

/**
 * The allowlisted return URL `raw` names, or the first allowlisted one when `raw` is absent.
 *
 * Matching is exact string equality with a configured (canonical) URL; the only alias accepted
 * is the origin-only form without its trailing slash (`https://app.example` for
 * `https://app.example/`). There is no prefix, host or pattern matching, so `//evil`, `/\evil`,
 * `https:evil`, `https://app@evil`, percent-encoded or differently cased variants, and other
 * ports or schemes can never match.
 *
 * @throws ReturnToNotAllowedError
 */
export function resolveReturnTo(raw: string | undefined, allowlist: readonly string[]): string {
  if (raw === undefined || raw === '') {
    const first = allowlist[0];
    if (!first) throw new ReturnToNotAllowedError();
    return first;
  }
  if (raw.length > MAX_RETURN_TO_LENGTH) throw new ReturnToNotAllowedError();
  for (const entry of allowlist) {
    if (raw === entry) return entry;
    if (entry.endsWith('/') && raw === entry.slice(0, -1) && sameUrl(raw, entry)) return entry;
  }
  throw new ReturnToNotAllowedError();
}

function sameUrl(raw: string, entry: string): boolean {
  try {
    const url = new URL(raw);
    return url.href === entry && url.pathname === '/' && !url.search && !url.username && !url.password;
  } catch {
    return false;
  }
}

/** `returnTo` with `result` set (replacing any `result` already there); nothing else is added. */
export function returnUrlWithResult(returnTo: string, result: WebLinkResult): string {
  const url = new URL(returnTo);
  url.searchParams.set('result', result);
  return url.href;
}
