import {
  InvalidTokenError,
  LoginStateError,
  ReturnToNotAllowedError,
  UpstreamError,
} from '../../../../functions/core/errors.js';
import {
  completeCompanyLogin,
  completeLineLogin,
  startCompanyLogin,
  startLineLogin,
  type WebLoginPorts,
} from '../../../../functions/core/use-cases/link-by-web-login.js';
import {
  bindingHash,
  pkceChallenge,
  resolveReturnTo,
  returnUrlWithResult,
} from '../../../../functions/core/login-session.js';
import { fakeLineVerifier, InMemoryAuditLog, InMemoryLinkRepository } from '../../../support/fakes.js';
import {
  counterRandom,
  FakeAuthorizationServer,
  InMemoryLoginSessionStore,
} from '../../../support/web-login-fakes.js';

const APP = 'https://app.example.com/linked';
const OTHER_APP = 'https://app.example.com/';

function setup(start = '2026-11-22T09:00:00.000Z') {
  let now = new Date(start);
  const sessions = new InMemoryLoginSessionStore();
  const lineLogin = new FakeAuthorizationServer('line');
  const companyLogin = new FakeAuthorizationServer('company');
  const links = new InMemoryLinkRepository();
  const audit = new InMemoryAuditLog();
  const ports: WebLoginPorts & { links: InMemoryLinkRepository; audit: InMemoryAuditLog } = {
    sessions,
    lineLogin,
    companyLogin,
    random: counterRandom(),
    clock: { now: () => new Date(now) },
    settings: {
      lineRedirectUri: 'https://api.example.com/auth/line/callback',
      companyRedirectUri: 'https://api.example.com/auth/company/callback',
      returnUrls: [APP, OTHER_APP],
      sessionTtlSeconds: 600,
    },
    links,
    audit,
  };
  const advance = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));
  return { ports, sessions, lineLogin, companyLogin, links, audit, advance };
}

const state = (url: string) => new URL(url).searchParams.get('state')!;

/** Runs the LINE leg to the point where the browser is at the company IdP. */
async function throughLineLeg(ctx: ReturnType<typeof setup>, lineUser = 'U1') {
  const start = await startLineLogin({ returnTo: APP }, ctx.ports);
  const code = ctx.lineLogin.authorize(lineUser);
  const outcome = await completeLineLogin(
    { state: state(start.redirectTo), code, binding: start.binding },
    ctx.ports,
  );
  if (outcome.kind !== 'continue') throw new Error(`LINE leg ended with ${outcome.kind}`);
  return outcome;
}

describe('startLineLogin', () => {
  it('stores a session bound to a hash of a fresh binding and sends the browser to LINE with state, nonce and PKCE', async () => {
    const ctx = setup();
    const { redirectTo, binding } = await startLineLogin({ returnTo: APP }, ctx.ports);
    const [session] = ctx.sessions.find('line');
    expect(session).toBeDefined();
    const url = new URL(redirectTo);
    expect(url.searchParams.get('state')).toBe(session!.state);
    expect(session!.state).toMatch(/^[0-9a-f]{48}$/);
    expect(url.searchParams.get('nonce')).toBe(session!.nonce);
    expect(url.searchParams.get('code_challenge')).toBe(pkceChallenge(session!.codeVerifier));
    expect(url.searchParams.get('redirect_uri')).toBe('https://api.example.com/auth/line/callback');
    expect(redirectTo).not.toContain(session!.codeVerifier);
    expect(session).toMatchObject({ returnTo: APP, bindingHash: bindingHash(binding), leg: 'line' });
    expect(JSON.stringify(session)).not.toContain(binding);
    expect(session!.expiresAt).toBe(Date.parse('2026-11-22T09:00:00.000Z') / 1000 + 600);
  });

  it('uses the first allowlisted URL without returnTo and passes disable_auto_login on', async () => {
    const ctx = setup();
    const { redirectTo } = await startLineLogin({ disableAutoLogin: true }, ctx.ports);
    expect(ctx.sessions.find('line')[0]!.returnTo).toBe(APP);
    expect(new URL(redirectTo).searchParams.get('disable_auto_login')).toBe('true');
  });

  it('refuses a returnTo outside the allowlist and stores nothing', async () => {
    const ctx = setup();
    await expect(startLineLogin({ returnTo: 'https://evil.example/' }, ctx.ports)).rejects.toBeInstanceOf(
      ReturnToNotAllowedError,
    );
    expect(ctx.sessions.sessions.size).toBe(0);
  });
});

describe('completeLineLogin', () => {
  it('consumes the session, redeems with the verifier, and opens the company leg under a new binding', async () => {
    const ctx = setup();
    const start = await startLineLogin({ returnTo: APP }, ctx.ports);
    const lineSession = ctx.sessions.find('line')[0]!;
    const code = ctx.lineLogin.authorize('U1');
    const outcome = await completeLineLogin(
      { state: state(start.redirectTo), code, binding: start.binding },
      ctx.ports,
    );
    expect(outcome.kind).toBe('continue');
    if (outcome.kind !== 'continue') return;
    expect(ctx.lineLogin.redeemed).toEqual([
      {
        code,
        redirectUri: 'https://api.example.com/auth/line/callback',
        codeVerifier: lineSession.codeVerifier,
        nonce: lineSession.nonce,
      },
    ]);
    expect(ctx.sessions.find('line')).toHaveLength(0);
    const [companySession] = ctx.sessions.find('company');
    expect(companySession).toMatchObject({
      lineUserId: 'U1',
      returnTo: APP,
      bindingHash: bindingHash(outcome.binding),
    });
    expect(outcome.binding).not.toBe(start.binding);
    expect(companySession!.state).not.toBe(lineSession.state);
    expect(companySession!.nonce).not.toBe(lineSession.nonce);
    expect(new URL(outcome.redirectTo).origin).toBe('https://company.idp.test');
  });

  it('refuses a missing or malformed state without touching the store', async () => {
    const ctx = setup();
    await startLineLogin({}, ctx.ports);
    await expect(completeLineLogin({ code: 'c', binding: 'b' }, ctx.ports)).rejects.toMatchObject({
      code: 'login-state-missing',
    });
    await expect(completeLineLogin({ state: 'abc', code: 'c' }, ctx.ports)).rejects.toMatchObject({
      code: 'login-state-unknown',
    });
    await expect(
      completeLineLogin({ state: `${'a'.repeat(48)},x`, code: 'c' }, ctx.ports),
    ).rejects.toMatchObject({
      code: 'login-state-unknown',
    });
    expect(ctx.sessions.sessions.size).toBe(1);
  });

  it('consumes a state exactly once: a replay is unknown and redeems nothing', async () => {
    const ctx = setup();
    const start = await startLineLogin({}, ctx.ports);
    const code = ctx.lineLogin.authorize('U1');
    const input = { state: state(start.redirectTo), code, binding: start.binding };
    await completeLineLogin(input, ctx.ports);
    await expect(completeLineLogin(input, ctx.ports)).rejects.toMatchObject({ code: 'login-state-unknown' });
    expect(ctx.lineLogin.redeemed).toHaveLength(1);
  });

  it('refuses an expired state', async () => {
    const ctx = setup();
    const start = await startLineLogin({}, ctx.ports);
    ctx.advance(600);
    await expect(
      completeLineLogin({ state: state(start.redirectTo), code: 'c', binding: start.binding }, ctx.ports),
    ).rejects.toMatchObject({ code: 'login-state-expired' });
    expect(ctx.lineLogin.redeemed).toHaveLength(0);
  });

  it('refuses a state bound to another browser (login CSRF) or with no cookie, and leaves it for its owner', async () => {
    const ctx = setup();
    const victim = await startLineLogin({}, ctx.ports);
    const attacker = await startLineLogin({}, ctx.ports);
    const attackerCode = ctx.lineLogin.authorize('U-attacker');
    const attackerState = state(attacker.redirectTo);
    // The victim's browser presents the attacker's state and code.
    await expect(
      completeLineLogin({ state: attackerState, code: attackerCode, binding: victim.binding }, ctx.ports),
    ).rejects.toEqual(new LoginStateError('not-bound'));
    await expect(
      completeLineLogin({ state: attackerState, code: attackerCode }, ctx.ports),
    ).rejects.toMatchObject({
      code: 'login-state-not-bound',
    });
    expect(ctx.lineLogin.redeemed).toHaveLength(0);
    expect(ctx.sessions.find('line')).toHaveLength(2);
  });

  it('turns access_denied into a cancel: state consumed, no token call', async () => {
    const ctx = setup();
    const start = await startLineLogin({ returnTo: APP }, ctx.ports);
    const outcome = await completeLineLogin(
      { state: state(start.redirectTo), error: 'access_denied', binding: start.binding },
      ctx.ports,
    );
    expect(outcome).toMatchObject({ kind: 'cancelled', returnTo: APP, error: { code: 'login-cancelled' } });
    expect(ctx.sessions.sessions.size).toBe(0);
    expect(ctx.lineLogin.redeemed).toHaveLength(0);
  });

  it('reports other error responses, a missing code, rejected codes, bad tokens and upstream failures as failures', async () => {
    const cases: Array<
      [string, (ctx: ReturnType<typeof setup>) => void, Partial<{ error: string; code: string }>]
    > = [
      ['line-authorization-failed', () => undefined, { error: 'server_error' }],
      ['line-authorization-failed', () => undefined, {}],
      ['line-code-rejected', () => undefined, { code: 'forged' }],
      [
        'line-unavailable',
        (ctx) => (ctx.lineLogin.failRedeem = new UpstreamError('line', 'unavailable')),
        { code: 'x' },
      ],
      [
        'invalid-line-token',
        (ctx) => (ctx.lineLogin.failRedeem = new InvalidTokenError('line', 'bad')),
        { code: 'x' },
      ],
    ];
    for (const [expected, arrange, params] of cases) {
      const ctx = setup();
      arrange(ctx);
      const start = await startLineLogin({ returnTo: APP }, ctx.ports);
      const outcome = await completeLineLogin(
        { state: state(start.redirectTo), binding: start.binding, ...params },
        ctx.ports,
      );
      expect(outcome).toMatchObject({ kind: 'failed', returnTo: APP, error: { code: expected } });
      expect(ctx.sessions.sessions.size).toBe(0);
    }
  });

  it('refuses a code issued for another session (PKCE) and a token whose nonce is not the stored one', async () => {
    const ctx = setup();
    const first = await startLineLogin({}, ctx.ports);
    const codeOfFirst = ctx.lineLogin.authorize('U1');
    const second = await startLineLogin({}, ctx.ports);
    const outcome = await completeLineLogin(
      { state: state(second.redirectTo), code: codeOfFirst, binding: second.binding },
      ctx.ports,
    );
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'line-code-rejected' } });

    // A code minted for the first request's PKCE challenge but the second's nonce is not possible
    // at LINE; emulate a token carrying a foreign nonce directly.
    const third = await startLineLogin({}, ctx.ports);
    const request = ctx.lineLogin.requests.at(-1)!;
    const code = ctx.lineLogin.authorize('U1', { ...request, nonce: 'someone-elses-nonce' });
    const mismatch = await completeLineLogin(
      { state: state(third.redirectTo), code, binding: third.binding },
      ctx.ports,
    );
    expect(mismatch).toMatchObject({ kind: 'failed', error: { code: 'invalid-line-token' } });
    expect(ctx.sessions.find('company')).toHaveLength(0);
    void first;
  });

  it('fails when the company IdP cannot start its leg, and writes no company session', async () => {
    const ctx = setup();
    ctx.companyLogin.failAuthorize = new UpstreamError('company-idp', 'unavailable');
    const start = await startLineLogin({}, ctx.ports);
    const code = ctx.lineLogin.authorize('U1');
    const outcome = await completeLineLogin(
      { state: state(start.redirectTo), code, binding: start.binding },
      ctx.ports,
    );
    expect(outcome).toMatchObject({ kind: 'failed', error: { code: 'company-idp-unavailable' } });
    expect(ctx.sessions.sessions.size).toBe(0);
  });

  it('lets unexpected errors through (the edge turns them into a generic 500 page)', async () => {
    const ctx = setup();
    ctx.lineLogin.failRedeem = new Error('socket hang up');
    const start = await startLineLogin({}, ctx.ports);
    await expect(
      completeLineLogin({ state: state(start.redirectTo), code: 'x', binding: start.binding }, ctx.ports),
    ).rejects.toThrow('socket hang up');
  });
});

describe('completeCompanyLogin', () => {
  it('links the two verified users with method oidc and redirects with result=linked only', async () => {
    const ctx = setup();
    const leg = await throughLineLeg(ctx, 'U1');
    const code = ctx.companyLogin.authorize('M1');
    const outcome = await completeCompanyLogin(
      { state: state(leg.redirectTo), code, binding: leg.binding },
      ctx.ports,
    );
    expect(outcome).toEqual({ redirectTo: `${APP}?result=linked`, result: 'linked' });
    expect(ctx.links.byLine.get('U1')).toMatchObject({ companyUserId: 'M1', method: 'oidc' });
    expect(ctx.companyLogin.redeemed[0]!.redirectUri).toBe('https://api.example.com/auth/company/callback');
    expect(ctx.sessions.sessions.size).toBe(0);
  });

  it('reports already_linked for the same pair and conflict for another pair, linking nothing new', async () => {
    const ctx = setup();
    for (const [lineUser, member, expected] of [
      ['U1', 'M1', 'linked'],
      ['U1', 'M1', 'already_linked'],
      ['U1', 'M2', 'conflict'],
      ['U2', 'M1', 'conflict'],
    ] as const) {
      const leg = await throughLineLeg(ctx, lineUser);
      const code = ctx.companyLogin.authorize(member);
      const outcome = await completeCompanyLogin(
        { state: state(leg.redirectTo), code, binding: leg.binding },
        ctx.ports,
      );
      expect(outcome.result).toBe(expected);
      expect(outcome.redirectTo).toBe(`${APP}?result=${expected}`);
    }
    expect(ctx.links.byLine.size).toBe(1);
    expect(ctx.audit.events.map((e) => e.type)).toEqual(['relink', 'conflict', 'conflict']);
  });

  it('ends cancelled on access_denied and error on a rejected code, without a token call for the cancel', async () => {
    const ctx = setup();
    let leg = await throughLineLeg(ctx);
    const cancelled = await completeCompanyLogin(
      { state: state(leg.redirectTo), error: 'access_denied', binding: leg.binding },
      ctx.ports,
    );
    expect(cancelled).toMatchObject({ redirectTo: `${APP}?result=cancelled`, result: 'cancelled' });
    expect(ctx.companyLogin.redeemed).toHaveLength(0);

    leg = await throughLineLeg(ctx);
    const failed = await completeCompanyLogin(
      { state: state(leg.redirectTo), code: 'forged', binding: leg.binding },
      ctx.ports,
    );
    expect(failed).toMatchObject({ result: 'error', error: { code: 'company-code-rejected' } });
    expect(failed.redirectTo).toBe(`${APP}?result=error`);
    expect(ctx.links.byLine.size).toBe(0);
  });

  it('refuses a LINE-leg state at the company callback and a company state from another browser', async () => {
    const ctx = setup();
    const start = await startLineLogin({}, ctx.ports);
    await expect(
      completeCompanyLogin({ state: state(start.redirectTo), code: 'c', binding: start.binding }, ctx.ports),
    ).rejects.toMatchObject({ code: 'login-state-unknown' });
    const leg = await throughLineLeg(ctx);
    await expect(
      completeCompanyLogin({ state: state(leg.redirectTo), code: 'c', binding: start.binding }, ctx.ports),
    ).rejects.toMatchObject({ code: 'login-state-not-bound' });
    expect(ctx.links.byLine.size).toBe(0);
  });
});

describe('startCompanyLogin', () => {
  it('opens the company leg for the LINE user its token proves', async () => {
    const ctx = setup();
    const started = await startCompanyLogin(
      { lineToken: 'line:U9', returnTo: OTHER_APP },
      { ...ctx.ports, line: fakeLineVerifier },
    );
    expect(ctx.sessions.find('company')[0]).toMatchObject({
      lineUserId: 'U9',
      returnTo: OTHER_APP,
      bindingHash: bindingHash(started.binding),
    });
    const code = ctx.companyLogin.authorize('M9');
    const outcome = await completeCompanyLogin(
      { state: state(started.redirectTo), code, binding: started.binding },
      ctx.ports,
    );
    expect(outcome.redirectTo).toBe(`${OTHER_APP}?result=linked`);
  });

  it('refuses a bad LINE token or returnTo before storing anything', async () => {
    const ctx = setup();
    const ports = { ...ctx.ports, line: fakeLineVerifier };
    await expect(startCompanyLogin({ lineToken: 'bogus' }, ports)).rejects.toMatchObject({
      code: 'invalid-line-token',
    });
    await expect(
      startCompanyLogin({ lineToken: 'line:U9', returnTo: 'https://evil.example/' }, ports),
    ).rejects.toMatchObject({
      code: 'return-to-not-allowed',
    });
    expect(ctx.sessions.sessions.size).toBe(0);
  });
});

describe('resolveReturnTo', () => {
  const allow = ['https://app.example.com/linked', 'https://app.example.com/', 'http://localhost:3000/demo/'];

  it('accepts exactly the configured URLs, and an origin without its trailing slash', () => {
    expect(resolveReturnTo('https://app.example.com/linked', allow)).toBe('https://app.example.com/linked');
    expect(resolveReturnTo('https://app.example.com/', allow)).toBe('https://app.example.com/');
    expect(resolveReturnTo('https://app.example.com', allow)).toBe('https://app.example.com/');
    expect(resolveReturnTo('http://localhost:3000/demo/', allow)).toBe('http://localhost:3000/demo/');
    expect(resolveReturnTo(undefined, allow)).toBe(allow[0]);
  });

  it.each([
    ['another host', 'https://evil.example/linked'],
    ['a look-alike host', 'https://app.example.com.evil.example/linked'],
    ['a protocol-relative URL', '//evil.example/linked'],
    ['a backslash path', '/\\evil.example'],
    ['a relative path', '/linked'],
    ['a scheme without slashes', 'https:app.example.com/linked'],
    ['a scheme without slashes to another host', 'https:evil.example'],
    ['userinfo', 'https://app.example.com@evil.example/linked'],
    ['userinfo on the right host', 'https://user@app.example.com/linked'],
    ['percent-encoded host', 'https://app%2Eexample.com/linked'],
    ['percent-encoded path', 'https://app.example.com/%6Cinked'],
    ['percent-encoded slash trick', 'https://app.example.com%2F@evil.example/'],
    ['upper-case host', 'https://APP.example.com/linked'],
    ['another scheme', 'http://app.example.com/linked'],
    ['a javascript URL', 'javascript:alert(1)'],
    ['another port', 'https://app.example.com:8443/linked'],
    ['the default port spelled out', 'https://app.example.com:443/linked'],
    ['an extra path', 'https://app.example.com/linked/../evil'],
    ['a prefix match', 'https://app.example.com/linkedevil'],
    ['an added query', 'https://app.example.com/linked?next=https://evil.example'],
    ['a fragment', 'https://app.example.com/linked#x'],
    ['a trailing dot host', 'https://app.example.com./linked'],
    ['whitespace', ' https://app.example.com/linked'],
    ['a tab inside', 'https://app.example.com/lin\tked'],
    ['two joined values', 'https://app.example.com/linked,https://evil.example/'],
    ['very long', `https://app.example.com/linked${'a'.repeat(3000)}`],
  ])('refuses %s', (_name, raw) => {
    expect(() => resolveReturnTo(raw, allow)).toThrow(ReturnToNotAllowedError);
  });

  it('refuses everything when no return URL is configured', () => {
    expect(() => resolveReturnTo(undefined, [])).toThrow(ReturnToNotAllowedError);
  });

  it('sets result, replacing one already present, and keeps the rest of the URL', () => {
    expect(returnUrlWithResult('https://app.example.com/linked', 'linked')).toBe(
      'https://app.example.com/linked?result=linked',
    );
    expect(returnUrlWithResult('https://app.example.com/x?a=1&result=linked', 'error')).toBe(
      'https://app.example.com/x?a=1&result=error',
    );
  });
});
