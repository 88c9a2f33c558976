import type { AuthorizationServer } from 'oauth4webapi';
import type { AuthorizeRequest, OAuthLoginClient, RedeemRequest } from '../../core/ports/index.js';
import type { FetchLike } from '../http/fetch-with-timeout.js';
import { redeemAuthorizationCode } from '../http/oauth-client.js';
import { withQuery } from '../http/query-string.js';
import type { LinePlatformClient } from './line-platform-client.js';

/** Options of {@link LineWebLoginClient}. */
export interface LineWebLoginClientOptions {
  /** The web-login channel (LINE_LOGIN_CHANNEL_ID): `client_id` of the authorization and token requests. */
  channelId: string;
  /** `https://access.line.me`: the authorization endpoint. */
  authBase: string;
  /** `https://api.line.me`: the token endpoint. */
  apiBase: string;
  /** `https://access.line.me`: the `iss` of LINE's ID tokens (LINE_ISSUER). */
  issuer: string;
  /** The channel secret (client secret and HS256 key), read once per cold start. */
  channelSecret: () => Promise<string>;
  /** Verifies the HS256 ID token (iss, aud, exp, iat, nonce). */
  platform: Pick<LinePlatformClient, 'verifyWebLoginIdToken'>;
  /** Optional authorization parameters (LINE_BOT_PROMPT, LINE_PROMPT, LINE_UI_LOCALES, LINE_DISABLE_AUTO_LOGIN). */
  authorizeOptions: { botPrompt?: string; prompt?: string; uiLocales?: string; disableAutoLogin: boolean };
  timeoutMs: number;
  fetch?: FetchLike;
}

/**
 * LINE Login for web apps (https://developers.line.biz/en/docs/line-login/integrate-line-login/) as an {@link OAuthLoginClient}: the authorization URL
 * `{LINE_AUTH_BASE}/oauth2/v2.1/authorize` with `scope=openid profile`, nonce and PKCE (S256);
 * the code redeemed (oauth4webapi) at `{LINE_API_BASE}/oauth2/v2.1/token` with the channel ID
 * and secret in the form (as LINE documents it) and the PKCE verifier, the ID token's claims
 * checked there (iss, aud, exp, iat, nonce); its HS256 signature verified with the channel
 * secret by {@link LinePlatformClient.verifyWebLoginIdToken}.
 */
export class LineWebLoginClient implements OAuthLoginClient {
  private readonly fetch: FetchLike;

  constructor(private readonly options: LineWebLoginClientOptions) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async authorizeUrl(request: AuthorizeRequest): Promise<string> {
    const extra = this.options.authorizeOptions;
    return withQuery(`${this.options.authBase.replace(/\/+$/, '')}/oauth2/v2.1/authorize`, {
      response_type: 'code',
      client_id: this.options.channelId,
      redirect_uri: request.redirectUri,
      state: request.state,
      scope: 'openid profile',
      nonce: request.nonce,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
      bot_prompt: extra.botPrompt,
      prompt: extra.prompt,
      ui_locales: extra.uiLocales,
      disable_auto_login: request.disableAutoLogin || extra.disableAutoLogin ? 'true' : undefined,
    });
  }

  async redeemCode(request: RedeemRequest): Promise<string> {
    return redeemAuthorizationCode({
      as: this.server(),
      clientId: this.options.channelId,
      auth: { method: 'client_secret_post', clientSecret: await this.options.channelSecret() },
      // LINE sends no `iss` with its authorization response; one that arrives is still checked.
      callback: { code: request.code, ...(request.iss !== undefined ? { iss: request.iss } : {}) },
      redirectUri: request.redirectUri,
      codeVerifier: request.codeVerifier,
      nonce: request.nonce,
      realm: 'line',
      upstream: 'line',
      timeoutMs: this.options.timeoutMs,
      fetch: this.fetch,
    });
  }

  /**
   * LINE Login's authorization server as oauth4webapi describes one. LINE publishes discovery
   * for its ES256 (LIFF) tokens only; web-login ID tokens are HS256 with the channel secret
   * (https://developers.line.biz/en/docs/line-login/verify-id-token/), so the metadata is
   * written here.
   */
  private server(): AuthorizationServer {
    return {
      issuer: this.options.issuer,
      authorization_endpoint: `${this.options.authBase.replace(/\/+$/, '')}/oauth2/v2.1/authorize`,
      token_endpoint: `${this.options.apiBase.replace(/\/+$/, '')}/oauth2/v2.1/token`,
      id_token_signing_alg_values_supported: ['HS256'],
    };
  }

  async verifyRedeemedIdToken(
    idToken: string,
    nonce: string,
  ): Promise<{ userId: string; channelId: string }> {
    const channelSecret = await this.options.channelSecret();
    const identity = await this.options.platform.verifyWebLoginIdToken(idToken, { channelSecret, nonce });
    return { userId: identity.userId, channelId: identity.channelId };
  }
}
