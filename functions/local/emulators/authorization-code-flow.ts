/**
 * The authorization-code flow as the emulators serve it (docs/web-flow.md), shared by the LINE Platform
 * emulator (`/oauth2/v2.1/authorize`, `/oauth2/v2.1/token`) and the company IdP emulator
 * (`/authorize`, `/token`): request validation, a consent page where a tester picks who logs in
 * and allows or cancels, single-use codes that expire, and the PKCE (S256 only) and
 * redirect-URI checks of the token endpoint (RFC 6749 §4.1, RFC 7636 §4.6).
 *
 * It is strict on purpose, so the service's client is exercised against the rules real servers
 * apply: a wrong `code_verifier`, a replayed or expired code, another client's code or another
 * `redirect_uri` are all `invalid_grant`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../../core/ports/index.js';
import { escapeHtml } from '../../handlers/http/escape-html.js';
import { html, json, redirect, type AppRequest, type AppResponse } from './http-app.js';

/** An authorization request that passed validation and waits for the tester's decision. */
export interface PendingAuthorization {
  id: string;
  clientId: string;
  redirectUri: string;
  state: string;
  scope: string;
  nonce?: string;
  codeChallenge?: string;
  /** Other request parameters (prompt, bot_prompt, ui_locales, disable_auto_login…), shown on the page. */
  extra: Record<string, string>;
  /** Epoch ms. */
  createdAt: number;
}

/** A code handed to the client, until it is redeemed or expires. */
export interface IssuedCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  nonce?: string;
  codeChallenge?: string;
  /** Who logged in: a LINE user ID or a company member ID. */
  subject: string;
  /** Epoch ms. */
  issuedAt: number;
  /** Epoch seconds of the sign-in (the consent decision): the ID token's `auth_time`. */
  authTime: number;
  /** `max_age` of the request, when one was sent. */
  maxAge?: number;
}

/** What the flow needs to know about the emulator's clients and people. */
export interface AuthorizationCodeFlowOptions {
  /** Is `clientId` registered, and may it use `redirectUri`? */
  isKnownClient(clientId: string): boolean;
  isAllowedRedirectUri(clientId: string, redirectUri: string): boolean;
  isKnownSubject(subject: string): boolean;
  /** Code lifetime; LINE: "Valid for 10 minutes". */
  codeTtlMs?: number;
  /** Scope that must be requested (`openid`). */
  requiredScope?: string;
  /** Extra request parameters to keep and display. */
  extraParams?: readonly string[];
  /**
   * The issuer to send as `iss` with every authorization response, success or error (RFC 9207
   * 2); absent: no `iss` (as LINE).
   */
  issuer?: () => string;
  /** Time of request, code and `auth_time` lifetimes; default the system clock. */
  clock?: Clock;
}

/** Lifetime of a pending authorization request (an open consent page). */
const PENDING_TTL_MS = 30 * 60_000;
const DEFAULT_CODE_TTL_MS = 10 * 60_000;

/** The OAuth error JSON of a token endpoint (RFC 6749 5.2). */
export function oauthError(
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): AppResponse {
  return json(status, { error, error_description: description }, headers);
}

export class AuthorizationCodeFlow {
  private readonly pending = new Map<string, PendingAuthorization>();
  private readonly codes = new Map<string, IssuedCode>();
  codeTtlMs: number;

  constructor(private readonly options: AuthorizationCodeFlowOptions) {
    this.codeTtlMs = options.codeTtlMs ?? DEFAULT_CODE_TTL_MS;
  }

  /**
   * Validates `GET …/authorize`. An unknown client or a redirect URI it may not use gets an HTML
   * 400 page (never a redirect to an unverified URI, RFC 6749 4.1.2.1); other problems are
   * redirected back with `error` and `state`. Returns the pending request to show a page for.
   */
  begin(req: AppRequest): PendingAuthorization | AppResponse {
    const q = req.query;
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!clientId || !this.options.isKnownClient(clientId)) {
      return errorPage('Unknown client_id', 'The client_id is missing or not registered here.');
    }
    if (!isAbsoluteHttpUrl(redirectUri) || !this.options.isAllowedRedirectUri(clientId, redirectUri)) {
      return errorPage(
        'Invalid redirect_uri',
        'The redirect_uri is missing or not registered for this client.',
      );
    }
    const state = q.get('state') ?? '';
    const back = (error: string, description: string) =>
      redirectWith(redirectUri, { error, error_description: description, state, ...this.iss() });
    if (q.get('response_type') !== 'code')
      return back('unsupported_response_type', 'response_type must be code.');
    if (!state) return back('invalid_request', 'state is required.');
    const scope = q.get('scope') ?? '';
    const required = this.options.requiredScope ?? 'openid';
    if (!scope.split(' ').includes(required)) return back('invalid_scope', `scope must include ${required}.`);
    const codeChallenge = q.get('code_challenge') ?? undefined;
    const method = q.get('code_challenge_method');
    if (codeChallenge !== undefined) {
      if (method !== 'S256') return back('invalid_request', 'code_challenge_method must be S256.');
      if (!/^[A-Za-z0-9_-]{43}$/.test(codeChallenge))
        return back('invalid_request', 'code_challenge is malformed.');
    } else if (method !== null) {
      return back('invalid_request', 'code_challenge_method without code_challenge.');
    }
    const maxAge = q.get('max_age');
    if (maxAge !== null && !/^\d{1,9}$/.test(maxAge))
      return back('invalid_request', 'max_age must be a non-negative integer.');
    const extra: Record<string, string> = {};
    for (const name of this.options.extraParams ?? []) {
      const value = q.get(name);
      if (value !== null) extra[name] = value;
    }
    const nonce = q.get('nonce') ?? undefined;
    this.sweep();
    const pending: PendingAuthorization = {
      id: randomBytes(16).toString('hex'),
      clientId,
      redirectUri,
      state,
      scope,
      ...(nonce !== undefined ? { nonce } : {}),
      ...(codeChallenge !== undefined ? { codeChallenge } : {}),
      extra,
      createdAt: this.now(),
    };
    this.pending.set(pending.id, pending);
    return pending;
  }

  /** `POST …/authorize` from the consent page: form `request_id`, `decision` (allow | cancel), `subject`. */
  decide(req: AppRequest): AppResponse {
    const id = req.form.get('request_id') ?? '';
    const pending = this.pending.get(id);
    if (!pending || this.now() - pending.createdAt > PENDING_TTL_MS) {
      return errorPage(
        'Request expired',
        'This authorization request is unknown or was already answered. Start again.',
      );
    }
    this.pending.delete(id);
    if (req.form.get('decision') !== 'allow') {
      return redirectWith(pending.redirectUri, {
        error: 'access_denied',
        error_description: 'The resource owner denied the request.',
        state: pending.state,
        ...this.iss(),
      });
    }
    const subject = req.form.get('subject') ?? '';
    if (!this.options.isKnownSubject(subject)) {
      this.pending.set(id, pending);
      return errorPage('Choose who logs in', 'Pick one of the listed accounts, then allow.');
    }
    return this.issue(pending, subject);
  }

  /** Issues a code for `subject` and redirects back with it (also used for emulated auto-login). */
  issue(pending: PendingAuthorization, subject: string): AppResponse {
    this.pending.delete(pending.id);
    const code = randomBytes(16).toString('base64url');
    this.codes.set(code, {
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      scope: pending.scope,
      ...(pending.nonce !== undefined ? { nonce: pending.nonce } : {}),
      ...(pending.codeChallenge !== undefined ? { codeChallenge: pending.codeChallenge } : {}),
      subject,
      issuedAt: this.now(),
      // Every sign-in here is a fresh one (the page is always shown), so max_age always holds.
      authTime: Math.floor(this.now() / 1000),
      ...(pending.extra.max_age !== undefined ? { maxAge: Number(pending.extra.max_age) } : {}),
    });
    return redirectWith(pending.redirectUri, { code, state: pending.state, ...this.iss() });
  }

  /** `{iss}` when the server sends its issuer with authorization responses. */
  private iss(): { iss?: string } {
    return this.options.issuer ? { iss: this.options.issuer() } : {};
  }

  /**
   * The `authorization_code` grant for an already authenticated `clientId`: form `code`,
   * `redirect_uri`, `code_verifier`. A code is removed at its first presentation, whatever the
   * outcome (single use). Returns the code's record, or the OAuth error response.
   */
  redeem(form: URLSearchParams, clientId: string): IssuedCode | AppResponse {
    const code = form.get('code') ?? '';
    if (!code) return oauthError(400, 'invalid_request', 'code is required.');
    const issued = this.codes.get(code);
    this.codes.delete(code);
    if (!issued)
      return oauthError(400, 'invalid_grant', 'The authorization code is invalid or was already used.');
    if (this.now() - issued.issuedAt > this.codeTtlMs) {
      return oauthError(400, 'invalid_grant', 'The authorization code has expired.');
    }
    if (issued.clientId !== clientId)
      return oauthError(400, 'invalid_grant', 'The code was issued to another client.');
    if (form.get('redirect_uri') !== issued.redirectUri) {
      return oauthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request.');
    }
    const verifier = form.get('code_verifier');
    if (issued.codeChallenge !== undefined) {
      if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) {
        return oauthError(400, 'invalid_grant', 'code_verifier is missing or malformed.');
      }
      const challenge = createHash('sha256').update(verifier, 'ascii').digest('base64url');
      if (!safeEqual(challenge, issued.codeChallenge)) {
        return oauthError(400, 'invalid_grant', 'code_verifier does not match the code_challenge.');
      }
    } else if (verifier !== null) {
      return oauthError(400, 'invalid_grant', 'code_verifier sent for a code issued without code_challenge.');
    }
    return issued;
  }

  /** A pending request by ID (tests). */
  pendingRequest(id: string): PendingAuthorization | undefined {
    return this.pending.get(id);
  }

  /** Epoch ms of the injected clock. */
  private now(): number {
    return (this.options.clock ?? systemClock).now().getTime();
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, p] of this.pending) if (now - p.createdAt > PENDING_TTL_MS) this.pending.delete(id);
    for (const [code, c] of this.codes) if (now - c.issuedAt > this.codeTtlMs) this.codes.delete(code);
  }
}

/** Options of {@link consentPage}. */
export interface ConsentPageOptions {
  /** Page title, e.g. "LINE Login (emulator)". */
  title: string;
  /** Accent colour of the page. */
  color: string;
  /** Where the form posts (the authorize path). */
  action: string;
  pending: PendingAuthorization;
  /** Who can log in: value and label. */
  subjects: ReadonlyArray<{ id: string; label: string }>;
  /** Extra lines to show (e.g. "auto-login disabled"). */
  notes?: readonly string[];
  /** Checkboxes posted with the decision (e.g. LINE's "add as friend" of `bot_prompt`). */
  checkboxes?: ReadonlyArray<{ name: string; label: string; checked: boolean }>;
}

/** The consent page: pick an account, then Allow or Cancel. Everything shown is escaped. */
export function consentPage(options: ConsentPageOptions): AppResponse {
  const { pending } = options;
  const subjects = options.subjects
    .map(
      (s, i) =>
        `<label><input type="radio" name="subject" value="${escapeHtml(s.id)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(s.label)}</label>`,
    )
    .join('\n');
  const details = [
    ['client_id', pending.clientId],
    ['redirect_uri', pending.redirectUri],
    ['scope', pending.scope],
    ['PKCE', pending.codeChallenge ? 'S256' : 'none'],
    ['nonce', pending.nonce ? 'sent' : 'none'],
    ...Object.entries(pending.extra),
  ]
    .map(([k, v]) => `<tr><th>${escapeHtml(k!)}</th><td>${escapeHtml(v!)}</td></tr>`)
    .join('');
  const notes = (options.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n');
  const checkboxes = (options.checkboxes ?? [])
    .map(
      (c) =>
        `<label><input type="checkbox" name="${escapeHtml(c.name)}" value="on"${c.checked ? ' checked' : ''}> ${escapeHtml(c.label)}</label>`,
    )
    .join('\n');
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f7}
main{max-width:30rem;margin:5vh auto;background:#fff;padding:1.5rem;border-radius:12px;border-top:6px solid ${escapeHtml(options.color)}}
label{display:block;padding:.4rem 0}
table{font-size:.8rem;color:#555;margin:1rem 0;border-collapse:collapse}
th{text-align:left;padding-right:1rem;font-weight:normal}
td{word-break:break-all}
button{padding:.6rem 1.2rem;margin-right:.5rem;border-radius:8px;border:0;font-size:1rem}
button.allow{background:${escapeHtml(options.color)};color:#fff}
.note{color:#a60}
</style>
</head>
<body>
<main>
<h1>${escapeHtml(options.title)}</h1>
<p>An app asks to sign you in. Choose the account to use.</p>
${notes}
<form method="post" action="${escapeHtml(options.action)}">
<input type="hidden" name="request_id" value="${escapeHtml(pending.id)}">
<fieldset>
<legend>Account</legend>
${subjects}
</fieldset>
${checkboxes}
<table>${details}</table>
<button type="submit" class="allow" name="decision" value="allow">Allow</button>
<button type="submit" class="cancel" name="decision" value="cancel">Cancel</button>
</form>
</main>
</body>
</html>
`;
  return html(200, body, {
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  });
}

function errorPage(title: string, message: string): AppResponse {
  return html(
    400,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`,
  );
}

function redirectWith(uri: string, params: Record<string, string>): AppResponse {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return redirect(url.href);
}

function isAbsoluteHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.hash;
  } catch {
    return false;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
