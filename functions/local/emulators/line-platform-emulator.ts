/**
 * An in-process emulator of the parts of the LINE Platform this service talks to, so that
 * `npm start` runs with no LINE channel at all and integration tests exercise the real HTTP
 * clients against LINE-shaped responses (ID token fields and verification as in
 * https://developers.line.biz/en/docs/line-login/verify-id-token/, the endpoints of
 * https://developers.line.biz/en/reference/line-login/). It serves, on one origin that stands for
 * both `api.line.me` and `access.line.me`:
 *
 * - `GET /.well-known/openid-configuration` — the discovery document;
 * - `GET /oauth2/v2.1/certs` — the JWKS with the current ES256 public key;
 * - `GET /oauth2/v2.1/verify?access_token=` — access token verification;
 * - `POST /oauth2/v2.1/verify` — ID token verification (ES256, and HS256 signed with the channel secret);
 * - `GET /v2/profile` — the profile of an access token's user;
 * - `GET /_emulator/users`, `POST /_emulator/tokens` — test-only helpers for the demo page.
 *
 * Tokens are minted the way LINE mints them: ID tokens like `liff.getIDToken()` (ES256 with a
 * `kid`), access tokens as opaque JWT-looking strings the emulator remembers. Outages can be
 * switched on per endpoint to test the service's failure handling, and request counters let tests
 * check that the service caches the JWKS.
 *
 * Web login (https://developers.line.biz/en/docs/line-login/integrate-line-login/):
 * `GET /oauth2/v2.1/authorize` shows a consent page (pick a test user, Allow or Cancel;
 * `disable_auto_login` and `prompt=consent` switch off the emulated
 * auto-login of {@link LinePlatformEmulator.setAutoLogin}), and `POST /oauth2/v2.1/token` redeems
 * single-use, 10-minute codes with PKCE (S256) and the channel secret for an HS256 ID token signed
 * with that secret, carrying the nonce of the authorization request. See authorization-code-flow.ts.
 *
 * Messaging API (the Official Account, see line-messaging.ts): stateless channel access tokens,
 * link tokens, reply/push/multicast, the friendship status API, deauthorize, LINE's account-link
 * dialog, signed webhook events to the service, and a "LINE chat" page per test user at
 * `/_emulator/chat/{userId}`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from 'jose';
import {
  DEFAULT_SLOW_MS,
  HttpApp,
  headerValue,
  json,
  withOutage,
  type AppRequest,
  type AppResponse,
  type Handler,
  type Outage,
  type RunningApp,
} from './http-app.js';
import {
  BOT_USER_ID,
  DEFAULT_LINE_USERS,
  MESSAGING_CHANNEL_ID,
  MESSAGING_CHANNEL_SECRET,
  type LineTestUser,
} from './test-identities.js';
import { LineMessaging, type LineMessagingControl, type MessagingChannel } from './line-messaging.js';
import { systemClock, type Clock } from '../../core/ports/index.js';
import { AuthorizationCodeFlow, consentPage, oauthError } from './authorization-code-flow.js';

export type { Outage } from './http-app.js';

// Defined beside the default users, so the emulator's modules share it without an import cycle.
export type { LineTestUser } from './test-identities.js';

/** A LINE Login channel: its ID is the `aud` of ID tokens; its secret signs web-login (HS256) ID tokens. */
export interface LineChannel {
  channelId: string;
  channelSecret: string;
  /** Callback URLs registered for web login; when absent, any http(s) URL is accepted. */
  callbackUrls?: string[];
}

export interface LinePlatformEmulatorOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** At least one; the first is the default for minting. */
  channels: LineChannel[];
  /** Default {@link DEFAULT_LINE_USERS} (copied, never mutated). */
  users?: readonly LineTestUser[];
  /** `iss` of every minted ID token; default the emulator's own URL. */
  issuer?: string;
  /** Delay of the `slow` outage in ms; default 5000. Tests use a small value. */
  slowMs?: number;
  /** Lifetime of web-login authorization codes in seconds; default 600 (LINE: 10 minutes). */
  authCodeTtlSec?: number;
  /**
   * The Messaging API channel of the emulated Official Account; each field defaults to the test
   * identities' MESSAGING_CHANNEL_ID, MESSAGING_CHANNEL_SECRET and BOT_USER_ID.
   */
  messagingChannel?: Partial<MessagingChannel>;
  /** Where webhook events are sent (the service's `POST /webhook/line`); settable later. */
  webhookUrl?: string;
  /**
   * The clock of every lifetime and timestamp: ID tokens' `iat`/`exp` and their verification,
   * access tokens, authorization codes, channel access tokens, link and reply tokens, retry keys
   * and webhook event timestamps; default the system clock. Tests inject one and move it forward
   * to expire things without waiting.
   */
  clock?: Clock;
}

/** Request counters per endpoint (both `verify` methods count as `verify`). */
export interface LineStats {
  certs: number;
  verify: number;
  profile: number;
  token: number;
}

/**
 * Faults of the web-login token endpoint: an ID token signed with a wrong secret, one with a
 * nonce other than the authorization request's, or a response without `id_token`.
 */
export type LineTokenFault = 'wrong-secret' | 'wrong-nonce' | 'no-id-token';

/** Endpoints that can be put into an outage; `certs` also covers the discovery document. */
export type LineOutageEndpoint = 'certs' | 'verify' | 'profile' | 'token';

export interface LinePlatformEmulator {
  /** Origin, e.g. `http://127.0.0.1:54321`; serves as both `LINE_API_BASE` and `LINE_AUTH_BASE`. */
  readonly url: string;
  /** `iss` of every ID token it mints (default = url). */
  readonly issuer: string;
  /** The live user list (users auto-registered by minting appear here too). */
  readonly users: LineTestUser[];
  /** Request counters, so tests can check e.g. that the JWKS is cached. */
  readonly stats: LineStats;
  /**
   * An ES256 ID token like LIFF's `liff.getIDToken()`. An unknown `userId` is registered as a new
   * test user first, so tests can use fresh users; `channelId` defaults to the first channel.
   */
  mintIdToken(opts: {
    userId: string;
    channelId?: string;
    nonce?: string;
    expiresInSec?: number;
    issuedAt?: Date;
    amr?: string[];
  }): Promise<string>;
  /**
   * A LINE v2.1-style access token (JWT-looking, HS256 with an emulator-internal key, no `iss`),
   * remembered for `GET /oauth2/v2.1/verify` and `GET /v2/profile`. `expiresInSec` may be 0 or
   * negative to get an expired token. Unknown users are registered as for {@link mintIdToken}.
   */
  mintAccessToken(opts: {
    userId: string;
    channelId?: string;
    expiresInSec?: number;
    scope?: string;
  }): Promise<string>;
  /** A new ES256 key with a new `kid`; the JWKS then serves only the new key. */
  rotateKeys(): Promise<void>;
  /** Switches an outage on (`mode`) or off (`null`); `all` covers every non-`/_emulator` endpoint. */
  setOutage(endpoint: LineOutageEndpoint | 'all', mode: Outage | null): void;
  /**
   * Emulates LINE's auto-login: while set, `GET /oauth2/v2.1/authorize` redirects straight back
   * with a code for this user unless the request has `disable_auto_login=true` or `prompt=consent`.
   */
  setAutoLogin(userId: string | null): void;
  /** Makes `POST /oauth2/v2.1/token` misbehave in one way (tests of the service's checks); null = normal. */
  setTokenFault(fault: LineTokenFault | null): void;
  /** The Messaging API side: friendship, chats, sent messages, webhook deliveries, 429 mode. */
  readonly messaging: LineMessagingControl;
  close(): Promise<void>;
}

/** Starts a LINE Platform emulator listening on `opts.host:opts.port`. */
export async function startLinePlatformEmulator(
  opts: LinePlatformEmulatorOptions,
): Promise<LinePlatformEmulator> {
  const emulator = new LinePlatformEmulatorServer(opts);
  await emulator.start(opts);
  return emulator;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwks: JSONWebKeySet;
  verifyKeys: ReturnType<typeof createLocalJWKSet>;
}

interface AccessTokenRecord {
  channelId: string;
  userId: string;
  /** Epoch ms. */
  expiresAt: number;
  scope: string;
}

const LINE_OUTAGE_ENDPOINTS: readonly LineOutageEndpoint[] = ['certs', 'verify', 'profile', 'token'];
const DEFAULT_ID_TOKEN_TTL_SEC = 3600;
/** LINE: "Access token. Valid for 30 days." */
const DEFAULT_ACCESS_TOKEN_TTL_SEC = 2_592_000;
const PROFILE_AUTH_FAILED = {
  message: 'Authentication failed. Confirm that the access token in the authorization header is valid.',
};

async function newSigningKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  // LINE's kids are 64 hex characters.
  const kid = randomBytes(32).toString('hex');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const jwks: JSONWebKeySet = { keys: [jwk] };
  return { kid, privateKey, jwks, verifyKeys: createLocalJWKSet(jwks) };
}

/** `{"error":"invalid_request","error_description": ...}` with status 400, LINE's OAuth error shape. */
function invalidRequest(description: string): AppResponse {
  return json(400, { error: 'invalid_request', error_description: description });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The emulator itself. Exported so tests can reach its channels, users and switches. */
export class LinePlatformEmulatorServer implements LinePlatformEmulator {
  readonly users: LineTestUser[];
  readonly stats: LineStats = { certs: 0, verify: 0, profile: 0, token: 0 };
  /** Channels by ID, secrets included (the web-login token endpoint authenticates with them). */
  readonly channels: ReadonlyMap<string, LineChannel>;
  private readonly defaultChannelId: string;
  private readonly outages = new Map<LineOutageEndpoint, Outage | null>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  /** Key of the access tokens' HS256 signature: only there to make them look like LINE's. */
  private readonly accessTokenKey = randomBytes(32);
  private readonly slowMs: number;
  private signingKey: SigningKey | undefined;
  private running: RunningApp | undefined;
  private issuerOverride: string | undefined;
  private readonly authCodeTtlSec: number | undefined;
  private readonly clock: Clock;
  /** Epoch ms of {@link LinePlatformEmulatorOptions.clock}. */
  private readonly now: () => number;
  readonly messaging: LineMessaging;

  constructor(opts: LinePlatformEmulatorOptions) {
    const first = opts.channels[0];
    if (!first) throw new Error('LINE Platform emulator: at least one channel is required.');
    this.defaultChannelId = first.channelId;
    this.channels = new Map(opts.channels.map((c) => [c.channelId, { ...c }]));
    this.users = (opts.users ?? DEFAULT_LINE_USERS).map((u) => ({ ...u }));
    this.slowMs = opts.slowMs ?? DEFAULT_SLOW_MS;
    this.issuerOverride = opts.issuer;
    this.authCodeTtlSec = opts.authCodeTtlSec;
    this.clock = opts.clock ?? systemClock;
    this.now = () => this.clock.now().getTime();
    this.messaging = new LineMessaging({
      channel: {
        channelId: opts.messagingChannel?.channelId ?? MESSAGING_CHANNEL_ID,
        channelSecret: opts.messagingChannel?.channelSecret ?? MESSAGING_CHANNEL_SECRET,
        botUserId: opts.messagingChannel?.botUserId ?? BOT_USER_ID,
      },
      ...(opts.webhookUrl !== undefined ? { webhookUrl: opts.webhookUrl } : {}),
      now: this.now,
      users: () => this.users,
      loginChannelSecret: (id) => this.channels.get(id)?.channelSecret,
      userAccessToken: (token) => {
        const record = this.accessTokens.get(token);
        if (!record) return undefined;
        return record.expiresAt <= this.now() ? 'expired' : record;
      },
      revokeUserAccessTokens: (userId, channelId) => {
        for (const [token, record] of this.accessTokens) {
          if (record.userId === userId && record.channelId === channelId) this.accessTokens.delete(token);
        }
      },
    });
  }

  /** Generates the first signing key and starts listening. */
  async start(opts: Pick<LinePlatformEmulatorOptions, 'host' | 'port'>): Promise<void> {
    this.signingKey = await newSigningKey();
    const app = new HttpApp();
    this.registerRoutes(app);
    this.running = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  }

  get url(): string {
    if (!this.running) throw new Error('LINE Platform emulator is not started.');
    return this.running.url;
  }

  get issuer(): string {
    return this.issuerOverride ?? this.url;
  }

  // ---------------------------------------------------------------- routes

  /** All routes: LINE Login, web login (`/oauth2/v2.1/authorize`, `/token`) and the Messaging API. */
  protected registerRoutes(app: HttpApp): void {
    app.get(
      '/.well-known/openid-configuration',
      this.lineApi('certs', undefined, () => this.discovery()),
    );
    app.get(
      '/oauth2/v2.1/certs',
      this.lineApi('certs', 'certs', () => json(200, this.key.jwks)),
    );
    app.get(
      '/oauth2/v2.1/verify',
      this.lineApi('verify', 'verify', (req) => this.verifyAccessToken(req)),
    );
    app.post(
      '/oauth2/v2.1/verify',
      this.lineApi('verify', 'verify', (req) => this.verifyIdToken(req)),
    );
    app.get(
      '/v2/profile',
      this.lineApi('profile', 'profile', (req) => this.profile(req)),
    );

    app.get('/_emulator/users', () => json(200, { users: this.users }));
    app.post('/_emulator/tokens', (req) => this.emulatorToken(req));

    this.registerWebLoginRoutes(app);
    this.messaging.register(app);
  }

  /**
   * Wraps a LINE API handler: counts the request, applies the endpoint's outage, and adds the
   * `x-line-request-id` header LINE puts on every API response.
   */
  private lineApi(
    outage: LineOutageEndpoint,
    counter: keyof LineStats | undefined,
    handler: Handler,
  ): Handler {
    const guarded = withOutage(() => this.outages.get(outage) ?? null, this.slowMs, handler);
    return async (req) => {
      if (counter) this.stats[counter]++;
      const result = await guarded(req);
      if (typeof result === 'object') {
        result.headers = { ...result.headers, 'x-line-request-id': randomBytes(8).toString('hex') };
      }
      return result;
    };
  }

  private discovery(): AppResponse {
    const url = this.url;
    return json(200, {
      issuer: this.issuer,
      authorization_endpoint: `${url}/oauth2/v2.1/authorize`,
      token_endpoint: `${url}/oauth2/v2.1/token`,
      jwks_uri: `${url}/oauth2/v2.1/certs`,
      response_types_supported: ['code'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
    });
  }

  /** `GET /oauth2/v2.1/verify`: `{scope, client_id, expires_in}` for a live access token. */
  private verifyAccessToken(req: AppRequest): AppResponse {
    const record = this.accessTokens.get(req.query.get('access_token') ?? '');
    if (!record) return invalidRequest('access token invalid');
    const remainingMs = record.expiresAt - this.now();
    if (remainingMs <= 0) return invalidRequest('access token expired');
    return json(200, {
      scope: record.scope,
      client_id: record.channelId,
      expires_in: Math.ceil(remainingMs / 1000),
    });
  }

  /**
   * `POST /oauth2/v2.1/verify` (form `id_token`, `client_id`, optional `nonce`, `user_id`): the
   * token's payload, after the checks LINE documents: signature (ES256 with the current key, or
   * HS256 with the channel secret), issuer, expiry, audience, nonce, subject.
   */
  private async verifyIdToken(req: AppRequest): Promise<AppResponse> {
    const idToken = req.form.get('id_token');
    const clientId = req.form.get('client_id');
    if (!idToken) return invalidRequest('Required parameter id_token is missing.');
    if (!clientId) return invalidRequest('Required parameter client_id is missing.');

    let payload: JWTPayload;
    try {
      const { alg } = decodeProtectedHeader(idToken);
      if (alg === 'ES256') {
        ({ payload } = await jwtVerify(idToken, this.key.verifyKeys, {
          algorithms: ['ES256'],
          currentDate: this.clock.now(),
        }));
      } else if (alg === 'HS256') {
        const channel = this.channels.get(clientId);
        if (!channel) return invalidRequest('Invalid IdToken.');
        ({ payload } = await jwtVerify(idToken, secretKey(channel), {
          algorithms: ['HS256'],
          currentDate: this.clock.now(),
        }));
      } else {
        return invalidRequest('Invalid IdToken.');
      }
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return invalidRequest('IdToken expired.');
      return invalidRequest('Invalid IdToken.');
    }

    if (payload.iss !== this.issuer) return invalidRequest('Invalid IdToken Issuer.');
    if (payload.aud !== clientId) return invalidRequest('Invalid IdToken Audience.');
    const nonce = req.form.get('nonce');
    if (nonce !== null && payload.nonce !== nonce) return invalidRequest('Invalid IdToken Nonce.');
    const userId = req.form.get('user_id');
    if (userId !== null && payload.sub !== userId)
      return invalidRequest('Invalid IdToken Subject Identifier.');
    return json(200, payload);
  }

  /** `GET /v2/profile` with `Authorization: Bearer <access token>`. */
  private profile(req: AppRequest): AppResponse {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(req.headers.authorization) ?? '');
    const record = match ? this.accessTokens.get(match[1]!) : undefined;
    if (!record || record.expiresAt <= this.now()) return json(401, PROFILE_AUTH_FAILED);
    const user = this.users.find((u) => u.userId === record.userId);
    if (!user) return json(401, PROFILE_AUTH_FAILED);
    return json(200, {
      userId: user.userId,
      displayName: user.displayName,
      pictureUrl: user.pictureUrl, // omitted by JSON.stringify when the user has none, as LINE does
      statusMessage: user.statusMessage,
    });
  }

  /** `POST /_emulator/tokens` JSON `{userId, kind, channelId?, nonce?}` → `{token}` for the demo page. */
  private async emulatorToken(req: AppRequest): Promise<AppResponse> {
    const body = req.json;
    if (!isObject(body)) return invalidRequest('Send a JSON object {userId, kind, channelId?, nonce?}.');
    const { userId, kind, channelId, nonce } = body;
    if (typeof userId !== 'string' || !this.users.some((u) => u.userId === userId)) {
      return invalidRequest('Unknown userId.');
    }
    if (channelId !== undefined && (typeof channelId !== 'string' || !this.channels.has(channelId))) {
      return invalidRequest('Unknown channelId.');
    }
    if (nonce !== undefined && typeof nonce !== 'string') return invalidRequest('nonce must be a string.');
    if (kind === 'id_token') {
      return json(200, { token: await this.mintIdToken({ userId, channelId, nonce }) });
    }
    if (kind === 'access_token') {
      return json(200, { token: await this.mintAccessToken({ userId, channelId }) });
    }
    return invalidRequest('kind must be "id_token" or "access_token".');
  }

  // ---------------------------------------------------------------- web login

  private webLogin: AuthorizationCodeFlow | undefined;
  private autoLoginUserId: string | null = null;
  private tokenFault: LineTokenFault | null = null;

  /** `GET|POST /oauth2/v2.1/authorize` and `POST /oauth2/v2.1/token`. */
  private registerWebLoginRoutes(app: HttpApp): void {
    this.webLogin = new AuthorizationCodeFlow({
      isKnownClient: (id) => this.channels.has(id),
      isAllowedRedirectUri: (id, uri) => {
        const registered = this.channels.get(id)?.callbackUrls;
        return registered === undefined || registered.includes(uri);
      },
      isKnownSubject: (userId) => this.users.some((u) => u.userId === userId),
      codeTtlMs: (this.authCodeTtlSec ?? 600) * 1000,
      extraParams: ['prompt', 'bot_prompt', 'ui_locales', 'disable_auto_login', 'max_age'],
      clock: this.clock,
    });
    app.get('/oauth2/v2.1/authorize', (req) => this.authorizePage(req));
    app.post('/oauth2/v2.1/authorize', (req) => this.decideWithBotPrompt(req));
    app.post(
      '/oauth2/v2.1/token',
      this.lineApi('token', 'token', (req) => this.webLoginToken(req)),
    );
  }

  private get codeFlow(): AuthorizationCodeFlow {
    if (!this.webLogin) throw new Error('LINE Platform emulator is not started.');
    return this.webLogin;
  }

  setAutoLogin(userId: string | null): void {
    this.autoLoginUserId = userId;
  }

  setTokenFault(fault: LineTokenFault | null): void {
    this.tokenFault = fault;
  }

  private authorizePage(req: AppRequest): AppResponse {
    const pending = this.codeFlow.begin(req);
    if (!('id' in pending)) return pending;
    const autoLoginOff = pending.extra.disable_auto_login === 'true' || pending.extra.prompt === 'consent';
    if (this.autoLoginUserId && !autoLoginOff) {
      const res = this.codeFlow.issue(pending, this.autoLoginUserId);
      if (!pending.extra.bot_prompt || !res.headers?.location) return res;
      const back = new URL(res.headers.location);
      back.searchParams.set('friendship_status_changed', 'false');
      return { ...res, headers: { ...res.headers, location: back.href } };
    }
    return consentPage({
      title: 'LINE Login (emulator)',
      color: '#06c755',
      action: '/oauth2/v2.1/authorize',
      pending,
      subjects: this.users.map((u) => ({ id: u.userId, label: u.displayName })),
      notes: [
        ...(pending.extra.disable_auto_login === 'true' ? ['Auto-login is disabled for this request.'] : []),
        ...(pending.extra.bot_prompt
          ? [`Add the LINE Official Account as a friend (bot_prompt=${pending.extra.bot_prompt}).`]
          : []),
      ],
      ...(pending.extra.bot_prompt
        ? {
            checkboxes: [
              { name: 'add_friend', label: 'Add the LINE Official Account as a friend', checked: true },
            ],
          }
        : {}),
    });
  }

  /**
   * `POST /oauth2/v2.1/authorize` with LINE Login's "add friend" option
   * (https://developers.line.biz/en/docs/line-login/link-a-bot/): when the request had `bot_prompt`,
   * an allowed login with the box ticked makes the user a friend (a `follow` event reaches the
   * service) and the callback carries `friendship_status_changed=true|false`.
   */
  private async decideWithBotPrompt(req: AppRequest): Promise<AppResponse> {
    const pending = this.codeFlow.pendingRequest(req.form.get('request_id') ?? '');
    const res = this.codeFlow.decide(req);
    const location = res.headers?.location;
    if (!pending?.extra.bot_prompt || res.status !== 302 || !location) return res;
    const back = new URL(location);
    if (!back.searchParams.has('code')) return res;
    const subject = req.form.get('subject') ?? '';
    let changed = false;
    if (req.form.get('add_friend') === 'on' && !this.messaging.isFriend(subject)) {
      changed = true;
      await this.messaging.follow(subject);
    }
    back.searchParams.set('friendship_status_changed', String(changed));
    return { ...res, headers: { ...res.headers, location: back.href } };
  }

  /**
   * `POST /oauth2/v2.1/token` (form): `grant_type=authorization_code`, `code`, `redirect_uri`,
   * `client_id`, `client_secret`, `code_verifier` → LINE's token response with an HS256 ID token.
   */
  private async webLoginToken(req: AppRequest): Promise<AppResponse> {
    const grantType = req.form.get('grant_type');
    if (grantType !== 'authorization_code') {
      return oauthError(400, 'unsupported_grant_type', 'grant_type must be authorization_code.');
    }
    const clientId = req.form.get('client_id') ?? '';
    const channel = this.channels.get(clientId);
    if (!channel || req.form.get('client_secret') !== channel.channelSecret) {
      return oauthError(401, 'invalid_client', 'Client authentication failed.');
    }
    const issued = this.codeFlow.redeem(req.form, clientId);
    if ('status' in issued) return issued;
    const user = this.ensureUser(issued.subject);
    const fault = this.tokenFault;
    const iat = Math.floor(this.now() / 1000);
    const payload: JWTPayload = {
      iss: this.issuer,
      sub: user.userId,
      aud: clientId,
      exp: iat + DEFAULT_ID_TOKEN_TTL_SEC,
      iat,
      ...(issued.nonce !== undefined
        ? { nonce: fault === 'wrong-nonce' ? `${issued.nonce}x` : issued.nonce }
        : {}),
      amr: ['pwd'],
      name: user.displayName,
      ...(user.pictureUrl !== undefined ? { picture: user.pictureUrl } : {}),
    };
    const idToken =
      fault === 'wrong-secret'
        ? await new SignJWT(payload).setProtectedHeader({ typ: 'JWT', alg: 'HS256' }).sign(randomBytes(32))
        : await this.signIdToken(payload, 'HS256');
    const accessToken = await this.mintAccessToken({
      userId: user.userId,
      channelId: clientId,
      scope: issued.scope,
    });
    return json(200, {
      access_token: accessToken,
      expires_in: DEFAULT_ACCESS_TOKEN_TTL_SEC,
      ...(fault === 'no-id-token' ? {} : { id_token: idToken }),
      refresh_token: randomBytes(15).toString('base64url'),
      scope: issued.scope,
      token_type: 'Bearer',
    });
  }

  // ---------------------------------------------------------------- minting

  async mintIdToken(opts: {
    userId: string;
    channelId?: string;
    nonce?: string;
    expiresInSec?: number;
    issuedAt?: Date;
    amr?: string[];
  }): Promise<string> {
    const user = this.ensureUser(opts.userId);
    const iat = Math.floor((opts.issuedAt ?? this.clock.now()).getTime() / 1000);
    const payload: JWTPayload = {
      iss: this.issuer,
      sub: user.userId,
      aud: opts.channelId ?? this.defaultChannelId,
      exp: iat + (opts.expiresInSec ?? DEFAULT_ID_TOKEN_TTL_SEC),
      iat,
      ...(opts.nonce !== undefined ? { nonce: opts.nonce } : {}),
      amr: opts.amr ?? ['linesso'],
      name: user.displayName,
      ...(user.pictureUrl !== undefined ? { picture: user.pictureUrl } : {}),
    };
    return this.signIdToken(payload, 'ES256');
  }

  /**
   * Signs an ID token payload as LINE does: ES256 with the current key and its `kid` (LIFF, SDKs),
   * or HS256 with the `aud` channel's secret and no `kid` (web login), as described in
   * https://developers.line.biz/en/docs/line-login/verify-id-token/.
   */
  async signIdToken(payload: JWTPayload, alg: 'ES256' | 'HS256'): Promise<string> {
    if (alg === 'ES256') {
      const key = this.key;
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid })
        .sign(key.privateKey);
    }
    const channel = typeof payload.aud === 'string' ? this.channels.get(payload.aud) : undefined;
    if (!channel)
      throw new Error(`LINE Platform emulator: no channel ${String(payload.aud)} to sign an HS256 ID token.`);
    return new SignJWT(payload).setProtectedHeader({ typ: 'JWT', alg: 'HS256' }).sign(secretKey(channel));
  }

  async mintAccessToken(opts: {
    userId: string;
    channelId?: string;
    expiresInSec?: number;
    scope?: string;
  }): Promise<string> {
    const user = this.ensureUser(opts.userId);
    // No iss/sub/aud: like LINE's, the token is opaque to clients and cannot pass for an ID token.
    const token = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(this.accessTokenKey);
    this.accessTokens.set(token, {
      channelId: opts.channelId ?? this.defaultChannelId,
      userId: user.userId,
      expiresAt: this.now() + (opts.expiresInSec ?? DEFAULT_ACCESS_TOKEN_TTL_SEC) * 1000,
      scope: opts.scope ?? 'profile openid',
    });
    return token;
  }

  // ---------------------------------------------------------------- control

  async rotateKeys(): Promise<void> {
    this.signingKey = await newSigningKey();
  }

  setOutage(endpoint: LineOutageEndpoint | 'all', mode: Outage | null): void {
    for (const name of endpoint === 'all' ? LINE_OUTAGE_ENDPOINTS : [endpoint]) this.outages.set(name, mode);
  }

  async close(): Promise<void> {
    await this.running?.close();
  }

  private get key(): SigningKey {
    if (!this.signingKey) throw new Error('LINE Platform emulator is not started.');
    return this.signingKey;
  }

  /** The user with `userId`, registering a new test user when the ID is unknown. */
  private ensureUser(userId: string): LineTestUser {
    if (!userId) throw new Error('LINE Platform emulator: userId is required.');
    let user = this.users.find((u) => u.userId === userId);
    if (!user) {
      user = { userId, displayName: `Test user ${userId.slice(-6)}` };
      this.users.push(user);
    }
    return user;
  }
}

/** The HS256 key of a channel: its secret's UTF-8 bytes, as LINE's verification steps use it. */
function secretKey(channel: LineChannel): Uint8Array {
  return new TextEncoder().encode(channel.channelSecret);
}
