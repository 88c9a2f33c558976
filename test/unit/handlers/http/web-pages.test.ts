import { createHash } from 'node:crypto';
import {
  AuthorizationFailedError,
  LoginStateError,
  UpstreamError,
} from '../../../../functions/core/errors.js';
import {
  bindingCookie,
  bindingCookieName,
  clearBindingCookie,
  errorPage,
  htmlPage,
  internalErrorPage,
  pageStatus,
  readCookie,
  redirectTo,
} from '../../../../functions/handlers/http/web-pages.js';

const config = {
  publicBaseUrl: 'https://api.example.com',
  secureCookies: true,
  cookiePath: '/auth',
  sessionTtlSeconds: 600,
};

describe('web pages', () => {
  it('escapes everything they show, links included', () => {
    const page = htmlPage(400, {
      title: '<b>t</b>',
      message: '"><script>alert(1)</script>',
      code: 'x<y',
      links: [{ href: 'javascript:"x"', label: '<i>' }],
    });
    expect(page.body).not.toMatch(/<script>|<b>|<i>|x<y/);
  });

  it('carries no-store, no-referrer and a CSP that allows only its own style and no framing', () => {
    const page = htmlPage(200, { title: 't', message: 'm' });
    expect(page.headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    });
    const csp = String(page.headers!['Content-Security-Policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'none'");
    const style = /<style>(.*)<\/style>/s.exec(page.body!)![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    const redirect = redirectTo('https://x.example/', ['a=b']);
    expect(redirect).toMatchObject({
      statusCode: 302,
      cookies: ['a=b'],
      headers: { Location: 'https://x.example/', 'Cache-Control': 'no-store' },
    });
  });

  it('offers a retry with disable_auto_login=true on a lost state', () => {
    const page = errorPage(new LoginStateError('not-bound'), config);
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('login-state-not-bound');
    expect(page.body).toContain('href="https://api.example.com/auth/line/login?disable_auto_login&#61;true"');
  });

  it('links back to the app and to a retry from failure and cancel pages', () => {
    const cancelled = errorPage(new AuthorizationFailedError('line', 'access_denied'), config, {
      returnToApp: 'https://app.example.com/?result=cancelled',
      returnTo: 'https://app.example.com/',
    });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.body).toContain('Sign-in cancelled');
    expect(cancelled.body).toContain('https://app.example.com/?result&#61;cancelled');
    const down = errorPage(new UpstreamError('line', 'unavailable'), config);
    expect(down.statusCode).toBe(503);
    expect(down.body).toContain('line-unavailable');
  });

  it('maps codes to page statuses without 401s and hides internal errors', () => {
    expect(pageStatus('invalid-line-token')).toBe(400);
    expect(pageStatus('line-code-rejected')).toBe(400);
    expect(pageStatus('return-to-not-allowed')).toBe(400);
    expect(pageStatus('company-idp-bad-response')).toBe(502);
    expect(pageStatus('something-new')).toBe(500);
    const page = internalErrorPage(new Error('token eyJhbGci leaked?'));
    expect(page.statusCode).toBe(500);
    expect(page.body).not.toContain('eyJ');
    expect(page.body).toContain('internal-error');
  });
});

describe('the binding cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/auth, short-lived, and __Secure- when secure', () => {
    expect(bindingCookie(config, 'ab12')).toBe(
      '__Secure-line-id-link-binding=ab12; Path=/auth; Max-Age=600; HttpOnly; SameSite=Lax; Secure',
    );
    const local = { ...config, secureCookies: false };
    expect(bindingCookie(local, 'ab12')).toBe(
      'line-id-link-binding=ab12; Path=/auth; Max-Age=600; HttpOnly; SameSite=Lax',
    );
    expect(clearBindingCookie(config)).toBe(
      '__Secure-line-id-link-binding=; Path=/auth; Max-Age=0; HttpOnly; SameSite=Lax; Secure',
    );
    expect(bindingCookieName(local)).toBe('line-id-link-binding');
  });

  it('is read from API Gateway’s cookies array, ignoring malformed values', () => {
    const value = 'a'.repeat(64);
    expect(
      readCookie({ cookies: ['other=1', `line-id-link-binding=${value}`] }, 'line-id-link-binding'),
    ).toBe(value);
    expect(
      readCookie({ cookies: ['line-id-link-binding=<script>'] }, 'line-id-link-binding'),
    ).toBeUndefined();
    expect(readCookie({ cookies: undefined }, 'line-id-link-binding')).toBeUndefined();
    expect(
      readCookie({ cookies: ['xline-id-link-binding=' + value] }, 'line-id-link-binding'),
    ).toBeUndefined();
  });
});
