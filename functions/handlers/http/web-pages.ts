import { createHash } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { CallbackInput } from '../../core/use-cases/link-by-web-login.js';
import {
  AuthorizationFailedError,
  DomainError,
  InvalidTokenError,
  LoginStateError,
} from '../../core/errors.js';
import { logger } from '../../observability/logger.js';
import { requestLogging } from './middlewares.js';
import { countRefusal, errorTreatment } from './error-table.js';
import { escapeHtml } from './escape-html.js';

/**
 * The browser-facing edge of the web flow: 302 redirects and small HTML pages instead of
 * problem+json. Every response carries `Cache-Control: no-store`, `Referrer-Policy: no-referrer`
 * (callback URLs hold codes and states) and a CSP that allows nothing but the page's own inline
 * style (by hash) and forbids framing. Pages show a stable error code and escape everything.
 */

/**
 * What the browser routes need of the web flow's settings (functions/config.ts `WebConfig`): the
 * public origin, and the binding cookie's security, path and lifetime.
 */
export interface WebPageSettings {
  /** PUBLIC_BASE_URL without a trailing slash. */
  publicBaseUrl: string;
  /** False only when PUBLIC_BASE_URL is plain http on a loopback host (local runs). */
  secureCookies: boolean;
  /** Path of the binding cookie. */
  cookiePath: string;
  /** Lifetime of a login session and of the binding cookie, in seconds. */
  sessionTtlSeconds: number;
}

/** The style of every page; allowed by its hash, so the CSP needs no `unsafe-inline`. */
const STYLE =
  'body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f7;color:#1e1e1e}' +
  'main{max-width:32rem;margin:10vh auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px #0002}' +
  'h1{font-size:1.3rem;margin-top:0}p.ja{color:#555}code{background:#eee;padding:0 .3em;border-radius:4px}' +
  'a.button{display:inline-block;margin:.3rem .6rem .3rem 0;padding:.6rem 1rem;border-radius:8px;background:#06c755;color:#fff;text-decoration:none}' +
  'a.secondary{background:#e3e5e8;color:#1e1e1e}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** The page CSP: nothing loads, nothing runs, nothing frames us, no form posts anywhere. */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every web-flow response (pages and redirects alike). */
const WEB_HEADERS = {
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': PAGE_CSP,
};

/** A link button on a page. */
export interface PageLink {
  href: string;
  label: string;
  secondary?: boolean;
}

/** Content of a page. */
export interface PageContent {
  title: string;
  message: string;
  /** A Japanese line under the message (most LINE users read Japanese). */
  messageJa?: string;
  /** Stable code shown to the user and support; omitted on non-error pages. */
  code?: string;
  links?: PageLink[];
}

/** An HTML page with the web headers. */
export function htmlPage(status: number, content: PageContent): APIGatewayProxyStructuredResultV2 {
  const links = (content.links ?? [])
    .map(
      (link) =>
        `<a class="button${link.secondary ? ' secondary' : ''}" href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a>`,
    )
    .join('\n');
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(content.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(content.title)}</h1>
<p>${escapeHtml(content.message)}</p>
${content.messageJa ? `<p class="ja" lang="ja">${escapeHtml(content.messageJa)}</p>\n` : ''}${
    content.code ? `<p>Error code: <code id="error-code">${escapeHtml(content.code)}</code></p>\n` : ''
  }<p>${links}</p>
</main>
</body>
</html>
`;
  return {
    statusCode: status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', ...WEB_HEADERS },
    body,
  };
}

/** A 302 with the web headers and, optionally, cookies to set. */
export function redirectTo(location: string, cookies: string[] = []): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 302,
    headers: { Location: location, ...WEB_HEADERS },
    ...(cookies.length ? { cookies } : {}),
    body: '',
  };
}

// ------------------------------------------------------------------ the binding cookie

/**
 * Name of the binding cookie. Over https it carries the `__Secure-` prefix, so browsers only
 * accept it from a secure origin (no injection from plain-http neighbours).
 */
export function bindingCookieName(config: Pick<WebPageSettings, 'secureCookies'>): string {
  return config.secureCookies ? '__Secure-line-id-link-binding' : 'line-id-link-binding';
}

/** `Set-Cookie` value of a fresh binding: HttpOnly, SameSite=Lax, path /auth, short-lived. */
export function bindingCookie(
  config: Pick<WebPageSettings, 'secureCookies' | 'cookiePath' | 'sessionTtlSeconds'>,
  value: string,
): string {
  return [
    `${bindingCookieName(config)}=${value}`,
    `Path=${config.cookiePath}`,
    `Max-Age=${config.sessionTtlSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(config.secureCookies ? ['Secure'] : []),
  ].join('; ');
}

/** `Set-Cookie` value that removes the binding cookie (the flow is over). */
export function clearBindingCookie(config: Pick<WebPageSettings, 'secureCookies' | 'cookiePath'>): string {
  return [
    `${bindingCookieName(config)}=`,
    `Path=${config.cookiePath}`,
    'Max-Age=0',
    'HttpOnly',
    'SameSite=Lax',
    ...(config.secureCookies ? ['Secure'] : []),
  ].join('; ');
}

/** The value of cookie `name` from API Gateway's `cookies` array (first one wins). */
export function readCookie(event: Pick<APIGatewayProxyEventV2, 'cookies'>, name: string): string | undefined {
  for (const cookie of event.cookies ?? []) {
    const eq = cookie.indexOf('=');
    if (eq > 0 && cookie.slice(0, eq).trim() === name) {
      const value = cookie.slice(eq + 1).trim();
      return /^[0-9a-f]{16,128}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** A query parameter (API Gateway joins repeated ones with commas, which no valid value has). */
export function queryParam(
  event: Pick<APIGatewayProxyEventV2, 'queryStringParameters'>,
  name: string,
): string | undefined {
  return event.queryStringParameters?.[name];
}

// ------------------------------------------------------------------ error pages

/** Where "try again" points: a fresh start with LINE's auto-login off (the lost-state remedy). */
export function retryUrl(config: Pick<WebPageSettings, 'publicBaseUrl'>, returnTo?: string): string {
  const params = new URLSearchParams();
  if (returnTo) params.set('returnTo', returnTo);
  params.set('disable_auto_login', 'true');
  return `${config.publicBaseUrl}/auth/line/login?${params}`;
}

/** Status of an error page; 401 is not used (no WWW-Authenticate challenge applies to a browser). */
export function pageStatus(code: string): number {
  return errorTreatment(code)?.page ?? 500;
}

/** The page for a refused step, with links to retry and (when known) back to the app. */
export function errorPage(
  error: DomainError,
  config: Pick<WebPageSettings, 'publicBaseUrl'>,
  links: { returnToApp?: string; returnTo?: string } = {},
): APIGatewayProxyStructuredResultV2 {
  const status = pageStatus(error.code);
  countRefusal(error.code);
  logger[status >= 500 ? 'error' : 'info']('web flow refused', {
    code: error.code,
    status,
    ...(error instanceof InvalidTokenError ? { reason: error.reason } : {}),
    ...(error instanceof AuthorizationFailedError ? { reason: error.reason } : {}),
    ...(error.cause instanceof Error ? { cause: error.cause.name } : {}),
  });
  const back: PageLink[] = links.returnToApp
    ? [{ href: links.returnToApp, label: 'Back to the app', secondary: true }]
    : [];
  if (error instanceof LoginStateError) {
    return htmlPage(status, {
      title: 'Please sign in again',
      message: `${error.message} This can happen when LINE opens the sign-in in a different browser. Start again and it will work.`,
      messageJa: 'ログインの途中で情報が失われました。もう一度お試しください。',
      code: error.code,
      links: [{ href: retryUrl(config), label: 'Sign in again' }],
    });
  }
  if (error.code === 'login-cancelled') {
    return htmlPage(status, {
      title: 'Sign-in cancelled',
      message: 'You cancelled the sign-in with LINE. Nothing was linked.',
      messageJa: 'ログインがキャンセルされました。連携は行われていません。',
      code: error.code,
      links: [...back, { href: retryUrl(config, links.returnTo), label: 'Try again' }],
    });
  }
  return htmlPage(status, {
    title: status >= 500 ? 'Sign-in is temporarily unavailable' : 'Sign-in failed',
    message: `${error.message} Nothing was linked.`,
    messageJa: 'ログインを完了できませんでした。連携は行われていません。',
    code: error.code,
    links: [...back, { href: retryUrl(config, links.returnTo), label: 'Try again' }],
  });
}

/** The page for anything unexpected: a generic 500 that leaks nothing. */
export function internalErrorPage(error: unknown): APIGatewayProxyStructuredResultV2 {
  logger.error('unhandled error', { error: error instanceof Error ? error : String(error) });
  return htmlPage(500, {
    title: 'Something went wrong',
    message: 'An unexpected error occurred. Nothing was linked. Please try again later.',
    messageJa: '予期しないエラーが発生しました。時間をおいてもう一度お試しください。',
    code: 'internal-error',
  });
}

/**
 * The middy edge of the browser routes: lower-cased headers, the security headers of
 * `@middy/http-security-headers` (its CSP replaced by {@link PAGE_CSP}, set on each response),
 * and every error turned into an HTML page (domain errors with their code, anything else a
 * generic 500). Registered last so it builds the page before the headers are added.
 */
export function htmlEdge(config: Pick<WebPageSettings, 'publicBaseUrl'>): MiddlewareObj[] {
  const pages: MiddlewareObj = {
    onError: async (request) => {
      const error = request.error;
      request.response = error instanceof DomainError ? errorPage(error, config) : internalErrorPage(error);
    },
  };
  return [
    ...requestLogging(),
    httpHeaderNormalizer(),
    httpSecurityHeaders({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }),
    pages,
  ];
}

/** What an OAuth callback brings: its query (`state`, `code`, `error`) and this browser's binding cookie. */
export function callbackInput(
  event: Pick<APIGatewayProxyEventV2, 'queryStringParameters' | 'cookies'>,
  config: Pick<WebPageSettings, 'secureCookies'>,
): CallbackInput {
  return {
    state: queryParam(event, 'state'),
    code: queryParam(event, 'code'),
    error: queryParam(event, 'error'),
    iss: queryParam(event, 'iss'),
    binding: readCookie(event, bindingCookieName(config)),
  };
}
