import { ConfigError, readConfig, type Env } from '../../../functions/config.js';

/** One settings group of `env`, as a composition root's wiring reads it. */
const webOf = (env: Env) => readConfig(env).web;

const BASE = {
  PUBLIC_BASE_URL: 'https://api.example.com/',
  APP_RETURN_URLS: 'https://app.example.com/linked, https://app.example.com',
};

describe('loadWebConfig', () => {
  it('reads the web settings with their defaults', () => {
    expect(webOf(BASE)).toEqual({
      publicBaseUrl: 'https://api.example.com',
      returnUrls: ['https://app.example.com/linked', 'https://app.example.com/'],
      secureCookies: true,
      cookiePath: '/auth',
      line: { disableAutoLogin: false },
      company: { scope: 'openid', tokenAuthMethod: 'client_secret_basic' },
      sessionTtlSeconds: 600,
    });
  });

  it('reads the optional LINE and company settings', () => {
    const config = webOf({
      ...BASE,
      PUBLIC_BASE_URL: 'https://example.com/api/v1',
      LINE_BOT_PROMPT: 'aggressive',
      LINE_PROMPT: 'consent',
      LINE_UI_LOCALES: 'ja en-US',
      LINE_DISABLE_AUTO_LOGIN: 'TRUE',
      COMPANY_OIDC_SCOPES: 'openid  profile email',
      COMPANY_OIDC_TOKEN_AUTH_METHOD: 'client_secret_post',
    });
    expect(config.cookiePath).toBe('/api/v1/auth');
    expect(config.line).toEqual({
      botPrompt: 'aggressive',
      prompt: 'consent',
      uiLocales: 'ja en-US',
      disableAutoLogin: true,
    });
    expect(config.company).toEqual({ scope: 'openid profile email', tokenAuthMethod: 'client_secret_post' });
  });

  it('uses insecure cookies only for plain http on loopback', () => {
    expect(
      webOf({
        PUBLIC_BASE_URL: 'http://localhost:3000',
        APP_RETURN_URLS: 'http://localhost:3000/demo/',
      }).secureCookies,
    ).toBe(false);
    expect(
      webOf({ PUBLIC_BASE_URL: 'http://127.0.0.1:3000', APP_RETURN_URLS: 'http://127.0.0.1:3000/' })
        .secureCookies,
    ).toBe(false);
    expect(() =>
      webOf({ PUBLIC_BASE_URL: 'http://api.example.com', APP_RETURN_URLS: 'https://a.example/' }),
    ).toThrow(/PUBLIC_BASE_URL must use https/);
  });

  it.each([
    [{ PUBLIC_BASE_URL: undefined }, /PUBLIC_BASE_URL/],
    [{ PUBLIC_BASE_URL: 'https://api.example.com/?x=1' }, /PUBLIC_BASE_URL/],
    [{ PUBLIC_BASE_URL: 'https://user@api.example.com' }, /PUBLIC_BASE_URL/],
    [{ APP_RETURN_URLS: undefined }, /APP_RETURN_URLS/],
    [{ APP_RETURN_URLS: ' , ' }, /APP_RETURN_URLS/],
    [{ APP_RETURN_URLS: '/relative' }, /APP_RETURN_URLS/],
    [{ APP_RETURN_URLS: 'http://app.example.com/' }, /APP_RETURN_URLS/],
    [{ APP_RETURN_URLS: 'https://user:pw@app.example.com/' }, /APP_RETURN_URLS/],
    [{ APP_RETURN_URLS: 'https://app.example.com/#x' }, /APP_RETURN_URLS/],
    [{ LINE_BOT_PROMPT: 'always' }, /LINE_BOT_PROMPT/],
    [{ LINE_PROMPT: 'none' }, /LINE_PROMPT/],
    [{ LINE_UI_LOCALES: 'ja,en' }, /LINE_UI_LOCALES/],
    [{ LINE_DISABLE_AUTO_LOGIN: 'yes' }, /LINE_DISABLE_AUTO_LOGIN/],
    [{ COMPANY_OIDC_SCOPES: 'profile' }, /COMPANY_OIDC_SCOPES/],
    [{ COMPANY_OIDC_TOKEN_AUTH_METHOD: 'client_secret_jwt' }, /COMPANY_OIDC_TOKEN_AUTH_METHOD/],
  ])('fails fast naming the variable: %o', (overrides, message) => {
    const env: Record<string, string | undefined> = { ...BASE, ...overrides };
    expect(() => webOf(env)).toThrow(ConfigError);
    expect(() => webOf(env)).toThrow(message);
  });
});
