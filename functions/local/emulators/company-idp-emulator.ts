/**
 * An in-process emulator of the organization's own OpenID Connect IdP, so that linking pattern 1
 * (company OIDC) runs locally and in integration tests without a real IdP. It behaves like a
 * generic, standards-following provider rather than any particular product:
 *
 * - `GET /.well-known/openid-configuration` — OpenID Connect Discovery;
 * - `GET /jwks` — one RS256 (RSA) and one ES256 (P-256) signing key, each with `kid`, `alg`, `use`;
 * - `GET /_emulator/members`, `POST /_emulator/tokens` — test-only helpers for the demo page.
 *
 * ID tokens are minted directly (as the company's own app would obtain them) with the knobs tests
 * need to probe the service's verification: algorithm, expiry, issue time, wrong issuer, extra
 * audiences, `azp`. Outages and request counters work as on the LINE emulator.
 *
 * Authorization-code flow (OpenID Connect Core 1.0 §3.1): `GET /authorize` shows a consent page
 * (pick a member, Allow or Cancel) and answers with `iss` (RFC 9207); `POST /token` authenticates
 * the client (`client_secret_basic`, `client_secret_post`, or `private_key_jwt` against the
 * client's registered public keys) and dispatches on `grant_type` through
 * {@link CompanyIdpEmulatorServer.tokenGrants}: `authorization_code` (single-use 10-minute codes,
 * PKCE S256, an RS256 ID token with the request's nonce) and `client_credentials` (RFC 6749 §4.4,
 * for the member verification API).
 *
 * Access tokens (pattern 1's `companyAccessToken`): opaque random strings, issued by the
 * `authorization_code` grant or {@link CompanyIdpEmulator.mintAccessToken}, and remembered with
 * their client, subject, sign-in time and expiry. `POST /introspect` is RFC 7662 token
 * introspection (the caller authenticates as a registered client, as at `/token`); `GET|POST
 * /userinfo` is OIDC Core 5.3 UserInfo with `Authorization: Bearer`: JSON, or a signed JWT
 * (`application/jwt`, with `iss` and `aud`, 5.3.2) for a client registered with
 * `userinfoSignedResponseAlg`; an unknown or expired token gets 401 with `WWW-Authenticate:
 * Bearer error="invalid_token"` (RFC 6750 3.1).
 *
 * Member verification API (pattern 2, `member-verification-api.ts`): the `client_credentials`
 * grant and `POST /api/members/verify` (Bearer token or API key) answering from the member list;
 * its outages and counter are the `members` endpoint's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
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
import { DEFAULT_COMPANY_MEMBERS, type CompanyTestMember } from './test-identities.js';
import { AuthorizationCodeFlow, consentPage, oauthError } from './authorization-code-flow.js';
import { MemberVerificationApi } from './member-verification-api.js';
import { systemClock, type Clock } from '../../core/ports/index.js';

export type { Outage } from './http-app.js';

// Defined beside the default members, so the emulator's modules share it without an import cycle.
export type { CompanyTestMember } from './test-identities.js';

/** An OAuth client registered at the IdP: the `aud` of its ID tokens. */
export interface CompanyClient {
  clientId: string;
  /** For `client_secret_basic` / `client_secret_post`; a client with only `jwks` has none. */
  clientSecret?: string;
  /**
   * Public keys registered for `private_key_jwt` (RFC 7523 2.2): the token endpoint accepts a
   * client assertion signed by one of them.
   */
  jwks?: JWK[];
  /** Redirect URIs registered for the authorization-code flow; when absent, any http(s) URL is accepted. */
  redirectUris?: string[];
  /**
   * `userinfo_signed_response_alg` (OIDC Dynamic Client Registration 2): UserInfo answers for
   * this client's tokens are JWTs signed with it; absent, plain JSON.
   */
  userinfoSignedResponseAlg?: CompanySigningAlg;
}

export interface CompanyIdpEmulatorOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** At least one; the first is the default audience for minting. */
  clients: CompanyClient[];
  /** Default {@link DEFAULT_COMPANY_MEMBERS} (copied, never mutated). */
  members?: readonly CompanyTestMember[];
  /** `iss` of minted ID tokens and of the discovery document; default the emulator's own URL. */
  issuer?: string;
  /** Delay of the `slow` outage in ms; default 5000. Tests use a small value. */
  slowMs?: number;
  /** Lifetime of authorization codes in seconds; default 600. */
  authCodeTtlSec?: number;
  /** API keys the member verification API accepts; default [`DEFAULT_COMPANY_API_KEY`]. */
  apiKeys?: string[];
  /** Header of the API key; default `x-api-key`. */
  apiKeyHeader?: string;
  /** Lifetime of client-credentials access tokens in seconds; default 3600. */
  apiTokenTtlSec?: number;
  /**
   * The clock of every lifetime: ID tokens' `iat`/`exp`, authorization codes, client assertions
   * and API access tokens; default the system clock. Tests inject one and move it forward.
   */
  clock?: Clock;
}

/** Request counters per endpoint. */
export interface CompanyStats {
  discovery: number;
  jwks: number;
  token: number;
  /** `POST /api/members/verify` (the member verification API). */
  members: number;
  /** `POST /introspect` (RFC 7662). */
  introspection: number;
  /** `GET|POST /userinfo` (OIDC Core 5.3). */
  userinfo: number;
}

export type CompanyOutageEndpoint = 'discovery' | 'jwks' | 'token' | 'members' | 'introspection' | 'userinfo';

export type CompanySigningAlg = 'RS256' | 'ES256';

/**
 * Faults of the `authorization_code` grant: an ID token with another nonce, no `id_token`, or an
 * `auth_time` a day old (a sign-in remembered from long ago, as an IdP session on a shared device).
 */
export type CompanyTokenFault = 'wrong-nonce' | 'no-id-token' | 'stale-auth-time';

/** Options of {@link CompanyIdpEmulator.mintIdToken}. */
export interface CompanyMintIdTokenOptions {
  /** The member ID; members' `name` and `email` are added when the member is known. */
  sub: string;
  /** Default: the first client. */
  clientId?: string;
  /** Default RS256. */
  alg?: CompanySigningAlg;
  nonce?: string;
  /** Default 3600; 0 or negative for an expired token. */
  expiresInSec?: number;
  /** Default now. */
  issuedAt?: Date;
  /** Overrides `iss`, for wrong-issuer tests. */
  issuer?: string;
  /** Makes `aud` an array: the client ID followed by these. */
  extraAudiences?: string[];
  azp?: string;
  /** `auth_time` (epoch seconds), as the authorization-code grant sets it. */
  authTime?: number;
  /**
   * `jti`. Default: a new random one, so two tokens minted in the same second differ (as most
   * IdPs do); `null` for none (then `POST /links` knows the token by its hash).
   */
  jti?: string | null;
}

/** Options of {@link CompanyIdpEmulator.mintAccessToken}. */
export interface CompanyMintAccessTokenOptions {
  /** The member ID the token is for. */
  sub: string;
  /** Default: the first client. */
  clientId?: string;
  /** Default 3600; 0 or negative for an expired token. */
  expiresInSec?: number;
  /** Default now. */
  issuedAt?: Date;
  /** `auth_time` (epoch seconds) of the sign-in; default the issue time. `null` for none. */
  authTime?: number | null;
  /** Default `openid`. */
  scope?: string;
}

export interface CompanyIdpEmulator {
  readonly url: string;
  readonly issuer: string;
  readonly members: CompanyTestMember[];
  readonly stats: CompanyStats;
  /** An ID token of this IdP; header `{alg, typ: 'JWT', kid}`; payload iss, sub, aud, exp, iat, jti, (nonce, azp, auth_time), name, email. */
  mintIdToken(opts: CompanyMintIdTokenOptions): Promise<string>;
  /** An opaque access token, remembered for introspection and UserInfo as the token endpoint's are. */
  mintAccessToken(opts: CompanyMintAccessTokenOptions): string;
  /** Forgets an access token (revocation): introspection then says inactive, UserInfo 401. */
  revokeAccessToken(token: string): void;
  /** New RS256 and ES256 keys with new `kid`s; the JWKS then serves only the new keys. */
  rotateKeys(): Promise<void>;
  /** Switches an outage on (`mode`) or off (`null`); `all` covers every non-`/_emulator` endpoint. */
  setOutage(endpoint: CompanyOutageEndpoint | 'all', mode: Outage | null): void;
  /** Makes the `authorization_code` grant misbehave in one way (tests); null = normal. */
  setTokenFault(fault: CompanyTokenFault | null): void;
  /** Forgets every client-credentials access token (the member API then answers 401 to them). */
  revokeApiTokens(): void;
  close(): Promise<void>;
}

/** Starts a company IdP emulator listening on `opts.host:opts.port`. */
export async function startCompanyIdpEmulator(opts: CompanyIdpEmulatorOptions): Promise<CompanyIdpEmulator> {
  const emulator = new CompanyIdpEmulatorServer(opts);
  await emulator.start(opts);
  return emulator;
}

/** What the IdP remembers of an access token it issued. */
interface IssuedAccessToken {
  sub: string;
  clientId: string;
  scope: string;
  /** Epoch seconds. */
  iat: number;
  exp: number;
  authTime?: number;
}

interface KeyPair {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** Signature algorithms of client assertions (private_key_jwt) the token endpoint accepts. */
const CLIENT_ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const COMPANY_OUTAGE_ENDPOINTS: readonly CompanyOutageEndpoint[] = [
  'discovery',
  'jwks',
  'token',
  'members',
  'introspection',
  'userinfo',
];
const DEFAULT_ID_TOKEN_TTL_SEC = 3600;

async function newKeyPair(alg: CompanySigningAlg): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const jwk = await exportJWK(publicKey);
  // The RFC 7638 thumbprint: a stable, collision-free kid, as many real IdPs use.
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

function invalidRequest(description: string): AppResponse {
  return json(400, { error: 'invalid_request', error_description: description });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The emulator itself. Exported so tests can reach its clients, members and switches. */
export class CompanyIdpEmulatorServer implements CompanyIdpEmulator {
  readonly members: CompanyTestMember[];
  readonly stats: CompanyStats = {
    discovery: 0,
    jwks: 0,
    token: 0,
    members: 0,
    introspection: 0,
    userinfo: 0,
  };
  /** Clients by ID, secrets included (the token endpoint authenticates them). */
  readonly clients: ReadonlyMap<string, CompanyClient>;
  private readonly defaultClientId: string;
  private readonly outages = new Map<CompanyOutageEndpoint, Outage | null>();
  private readonly slowMs: number;
  private readonly issuerOverride: string | undefined;
  private readonly authCodeTtlSec: number | undefined;
  private readonly clock: Clock;
  private keys: Record<CompanySigningAlg, KeyPair> | undefined;
  private running: RunningApp | undefined;

  constructor(opts: CompanyIdpEmulatorOptions) {
    const first = opts.clients[0];
    if (!first) throw new Error('Company IdP emulator: at least one client is required.');
    this.defaultClientId = first.clientId;
    this.clients = new Map(opts.clients.map((c) => [c.clientId, { ...c }]));
    this.members = (opts.members ?? DEFAULT_COMPANY_MEMBERS).map((m) => ({ ...m }));
    this.slowMs = opts.slowMs ?? DEFAULT_SLOW_MS;
    this.issuerOverride = opts.issuer;
    this.authCodeTtlSec = opts.authCodeTtlSec;
    this.clock = opts.clock ?? systemClock;
    this.memberApi = new MemberVerificationApi({
      clock: this.clock,
      members: () => this.members,
      apiKeys: opts.apiKeys,
      apiKeyHeader: opts.apiKeyHeader,
      tokenTtlSec: opts.apiTokenTtlSec,
    });
  }

  /** Generates the first keys and starts listening. */
  async start(opts: Pick<CompanyIdpEmulatorOptions, 'host' | 'port'>): Promise<void> {
    await this.rotateKeys();
    const app = new HttpApp();
    this.registerRoutes(app);
    this.running = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  }

  get url(): string {
    if (!this.running) throw new Error('Company IdP emulator is not started.');
    return this.running.url;
  }

  get issuer(): string {
    return this.issuerOverride ?? this.url;
  }

  // ---------------------------------------------------------------- routes

  /** All routes: discovery, JWKS, `/authorize`, `/token` and the member verification API. */
  protected registerRoutes(app: HttpApp): void {
    app.get(
      '/.well-known/openid-configuration',
      this.idpApi('discovery', () => this.discovery()),
    );
    app.get(
      '/jwks',
      this.idpApi('jwks', () => json(200, this.jwks())),
    );

    app.get('/_emulator/members', () => json(200, { members: this.members }));
    app.post('/_emulator/tokens', (req) => this.emulatorToken(req));

    this.registerAuthorizationCodeRoutes(app);
    this.registerMemberVerificationRoutes(app);
    this.registerAccessTokenRoutes(app);
  }

  // ---------------------------------------------------------------- access tokens (introspection, UserInfo)

  /** Access tokens issued (by the code grant or minted), by their value. */
  private readonly accessTokens = new Map<string, IssuedAccessToken>();

  private registerAccessTokenRoutes(app: HttpApp): void {
    app.post(
      '/introspect',
      this.idpApi('introspection', (req) => this.introspect(req)),
    );
    const userinfo = this.idpApi('userinfo', (req) => this.userinfo(req));
    app.get('/userinfo', userinfo);
    app.post('/userinfo', userinfo);
  }

  mintAccessToken(opts: CompanyMintAccessTokenOptions): string {
    const clientId = opts.clientId ?? this.defaultClientId;
    if (!this.clients.has(clientId)) throw new Error(`Company IdP emulator: unknown client ${clientId}.`);
    const iat = Math.floor((opts.issuedAt ?? this.clock.now()).getTime() / 1000);
    const token = randomBytes(32).toString('base64url');
    this.accessTokens.set(token, {
      sub: opts.sub,
      clientId,
      scope: opts.scope ?? 'openid',
      iat,
      exp: iat + (opts.expiresInSec ?? DEFAULT_ID_TOKEN_TTL_SEC),
      ...(opts.authTime === null ? {} : { authTime: opts.authTime ?? iat }),
    });
    return token;
  }

  revokeAccessToken(token: string): void {
    this.accessTokens.delete(token);
  }

  /** The token's record while it is unexpired. */
  private liveAccessToken(token: string | null | undefined): IssuedAccessToken | undefined {
    const issued = token ? this.accessTokens.get(token) : undefined;
    if (!issued) return undefined;
    return issued.exp > Math.floor(this.clock.now().getTime() / 1000) ? issued : undefined;
  }

  /**
   * `POST /introspect` (RFC 7662 2): the caller authenticates as a client (2.1: the endpoint
   * "MUST also require some form of authorization"); an unknown, expired or revoked token is
   * `{"active": false}` and nothing else (2.2).
   */
  private async introspect(req: AppRequest): Promise<AppResponse> {
    const client = await this.authenticate(req);
    if (!('clientId' in client)) return client;
    const token = req.form.get('token');
    if (!token) return invalidRequest('token is required.');
    const issued = this.liveAccessToken(token);
    if (!issued) return json(200, { active: false });
    return json(200, {
      active: true,
      scope: issued.scope,
      client_id: issued.clientId,
      token_type: 'Bearer',
      exp: issued.exp,
      iat: issued.iat,
      sub: issued.sub,
      iss: this.issuer,
      ...(issued.authTime !== undefined ? { auth_time: issued.authTime } : {}),
    });
  }

  /**
   * `GET|POST /userinfo` (OIDC Core 5.3) with `Authorization: Bearer`: the member's claims, as
   * JSON, or as a JWT signed with the client's `userinfoSignedResponseAlg` carrying `iss` and
   * `aud` (5.3.2) and the sign-in's `auth_time`.
   */
  private async userinfo(req: AppRequest): Promise<AppResponse> {
    const header = headerValue(req.headers.authorization);
    const match = header ? /^Bearer\s+([\x21-\x7e]+)\s*$/i.exec(header) : null;
    const issued = this.liveAccessToken(match?.[1]);
    if (!issued) {
      return json(
        401,
        { error: 'invalid_token', error_description: 'The access token is unknown or expired.' },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    }
    const member = this.members.find((m) => m.memberId === issued.sub);
    const claims = { sub: issued.sub, ...(member ? { name: member.name, email: member.email } : {}) };
    const alg = this.clients.get(issued.clientId)?.userinfoSignedResponseAlg;
    if (!alg) return json(200, claims);
    const key = this.currentKeys[alg];
    const jwt = await new SignJWT({
      ...claims,
      ...(issued.authTime !== undefined ? { auth_time: issued.authTime } : {}),
    })
      .setProtectedHeader({ alg, typ: 'JWT', kid: key.kid })
      .setIssuer(this.issuer)
      .setAudience(issued.clientId)
      .setIssuedAt(Math.floor(this.clock.now().getTime() / 1000))
      .sign(key.privateKey);
    return { status: 200, headers: { 'content-type': 'application/jwt' }, body: jwt };
  }

  // ---------------------------------------------------------------- member verification API (pattern 2)

  private readonly memberApi: MemberVerificationApi;

  /** `POST /api/members/verify` and the `client_credentials` grant of `POST /token`. */
  private registerMemberVerificationRoutes(app: HttpApp): void {
    app.post(
      '/api/members/verify',
      this.idpApi('members', (req) => this.memberApi.verify(req)),
    );
    this.tokenGrants.set('client_credentials', (req, client) =>
      this.memberApi.clientCredentialsGrant(req, client.clientId),
    );
  }

  revokeApiTokens(): void {
    this.memberApi.revokeTokens();
  }

  /** Wraps an IdP handler: counts the request and applies the endpoint's outage. */
  private idpApi(endpoint: CompanyOutageEndpoint, handler: Handler): Handler {
    const guarded = withOutage(() => this.outages.get(endpoint) ?? null, this.slowMs, handler);
    return (req) => {
      this.stats[endpoint]++;
      return guarded(req);
    };
  }

  private discovery(): AppResponse {
    const url = this.url;
    return json(200, {
      issuer: this.issuer,
      authorization_endpoint: `${url}/authorize`,
      token_endpoint: `${url}/token`,
      jwks_uri: `${url}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      code_challenge_methods_supported: ['S256'],
      // RFC 9207: every authorization response carries `iss`.
      authorization_response_iss_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'name', 'email'],
      grant_types_supported: ['authorization_code', 'client_credentials'],
      userinfo_endpoint: `${url}/userinfo`,
      userinfo_signing_alg_values_supported: ['RS256', 'ES256'],
      introspection_endpoint: `${url}/introspect`,
      introspection_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
    });
  }

  private jwks(): JSONWebKeySet {
    const keys = this.currentKeys;
    return { keys: [keys.RS256.publicJwk, keys.ES256.publicJwk] };
  }

  /**
   * `POST /_emulator/tokens` JSON `{sub, clientId?, alg?, nonce?, kind?}` → `{token}` for the demo
   * page: an ID token, or with `kind: "access"` an opaque access token.
   */
  private async emulatorToken(req: AppRequest): Promise<AppResponse> {
    const body = req.json;
    if (!isObject(body)) return invalidRequest('Send a JSON object {sub, clientId?, alg?, nonce?, kind?}.');
    const { sub, clientId, alg, nonce, kind } = body;
    if (kind !== undefined && kind !== 'id' && kind !== 'access')
      return invalidRequest('kind must be id or access.');
    if (typeof sub !== 'string' || !this.members.some((m) => m.memberId === sub)) {
      return invalidRequest('Unknown member (sub).');
    }
    if (clientId !== undefined && (typeof clientId !== 'string' || !this.clients.has(clientId))) {
      return invalidRequest('Unknown clientId.');
    }
    if (alg !== undefined && alg !== 'RS256' && alg !== 'ES256')
      return invalidRequest('alg must be RS256 or ES256.');
    if (nonce !== undefined && typeof nonce !== 'string') return invalidRequest('nonce must be a string.');
    if (kind === 'access') return json(200, { token: this.mintAccessToken({ sub, clientId }) });
    return json(200, { token: await this.mintIdToken({ sub, clientId, alg, nonce }) });
  }

  // ---------------------------------------------------------------- token endpoint (shared by grants)

  /**
   * Grant handlers of `POST /token` by `grant_type`, each called with the authenticated client.
   * `authorization_code` and `client_credentials` are registered; an unknown grant gets
   * `unsupported_grant_type` (RFC 6749 §5.2).
   */
  protected readonly tokenGrants = new Map<
    string,
    (req: AppRequest, client: CompanyClient) => AppResponse | Promise<AppResponse>
  >();

  /** The client authentication of `/token` and `/introspect`: an assertion, or the client secret. */
  private async authenticate(req: AppRequest): Promise<CompanyClient | AppResponse> {
    return req.form.has('client_assertion_type')
      ? this.authenticateClientAssertion(req)
      : this.authenticateClient(req);
  }

  /** `POST /token` (form): client authentication, then the grant handler. */
  private async token(req: AppRequest): Promise<AppResponse> {
    const client = await this.authenticate(req);
    if (!('clientId' in client)) return client;
    const grant = this.tokenGrants.get(req.form.get('grant_type') ?? '');
    if (!grant)
      return oauthError(
        400,
        'unsupported_grant_type',
        `Supported: ${[...this.tokenGrants.keys()].join(', ')}.`,
      );
    return grant(req, client);
  }

  /** `client_secret_basic` (RFC 6749 2.3.1, form-urlencoded parts) or `client_secret_post`, not both. */
  private authenticateClient(req: AppRequest): CompanyClient | AppResponse {
    const header = headerValue(req.headers.authorization);
    const postId = req.form.get('client_id');
    const postSecret = req.form.get('client_secret');
    let clientId: string;
    let secret: string;
    if (header !== undefined) {
      const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
      if (!match || postSecret !== null)
        return oauthError(400, 'invalid_request', 'Use exactly one client authentication method.');
      const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return oauthError(401, 'invalid_client', 'Client authentication failed.');
      try {
        clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
        secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
      } catch {
        return oauthError(401, 'invalid_client', 'Client authentication failed.');
      }
      if (postId !== null && postId !== clientId)
        return oauthError(400, 'invalid_request', 'client_id does not match the credentials.');
    } else {
      if (postId === null || postSecret === null)
        return oauthError(401, 'invalid_client', 'Client authentication is required.');
      clientId = postId;
      secret = postSecret;
    }
    const client = this.clients.get(clientId);
    if (!client || client.clientSecret === undefined || client.clientSecret !== secret) {
      return oauthError(401, 'invalid_client', 'Client authentication failed.', {
        'www-authenticate': 'Basic realm="company-idp"',
      });
    }
    return client;
  }

  private readonly usedAssertionIds = new Map<string, number>();

  /**
   * `private_key_jwt` (RFC 7523 2.2, OIDC Core 9): a JWT signed with a key registered for the
   * client, `iss` = `sub` = the client ID, `aud` this issuer or the token endpoint, unexpired,
   * with a `jti` never seen before. No other client authentication may come with it.
   */
  private async authenticateClientAssertion(req: AppRequest): Promise<CompanyClient | AppResponse> {
    const failed = () => oauthError(401, 'invalid_client', 'Client authentication failed.');
    if (req.form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      return oauthError(400, 'invalid_request', 'Unsupported client_assertion_type.');
    if (headerValue(req.headers.authorization) !== undefined || req.form.has('client_secret'))
      return oauthError(400, 'invalid_request', 'Use exactly one client authentication method.');
    const assertion = req.form.get('client_assertion') ?? '';
    let clientId: unknown;
    try {
      clientId = decodeJwt(assertion).sub;
    } catch {
      return failed();
    }
    const client = typeof clientId === 'string' ? this.clients.get(clientId) : undefined;
    if (!client?.jwks?.length) return failed();
    const postId = req.form.get('client_id');
    if (postId !== null && postId !== client.clientId)
      return oauthError(400, 'invalid_request', 'client_id does not match the client assertion.');
    try {
      const { payload } = await jwtVerify(assertion, createLocalJWKSet({ keys: client.jwks }), {
        issuer: client.clientId,
        subject: client.clientId,
        // RFC 7523 3: the issuer or the endpoint the assertion is sent to.
        audience: [this.issuer, `${this.url}/token`, `${this.url}/introspect`],
        algorithms: CLIENT_ASSERTION_ALGORITHMS,
        requiredClaims: ['exp', 'jti'],
        maxTokenAge: '5m',
        currentDate: this.clock.now(),
      });
      const now = this.clock.now().getTime();
      for (const [jti, expires] of this.usedAssertionIds)
        if (expires < now) this.usedAssertionIds.delete(jti);
      if (this.usedAssertionIds.has(payload.jti!)) return failed();
      this.usedAssertionIds.set(payload.jti!, payload.exp! * 1000);
    } catch {
      return failed();
    }
    return client;
  }

  // ---------------------------------------------------------------- authorization code

  private codeFlowState: AuthorizationCodeFlow | undefined;
  private tokenFault: CompanyTokenFault | null = null;

  /** `GET|POST /authorize`, `POST /token`, and the `authorization_code` grant. */
  private registerAuthorizationCodeRoutes(app: HttpApp): void {
    this.codeFlowState = new AuthorizationCodeFlow({
      isKnownClient: (id) => this.clients.has(id),
      isAllowedRedirectUri: (id, uri) => {
        const registered = this.clients.get(id)?.redirectUris;
        return registered === undefined || registered.includes(uri);
      },
      isKnownSubject: (memberId) => this.members.some((m) => m.memberId === memberId),
      codeTtlMs: (this.authCodeTtlSec ?? 600) * 1000,
      extraParams: ['prompt', 'max_age', 'login_hint'],
      issuer: () => this.issuer,
      clock: this.clock,
    });
    app.get('/authorize', (req) => this.authorizePage(req));
    app.post('/authorize', (req) => this.codeFlow.decide(req));
    app.post(
      '/token',
      this.idpApi('token', (req) => this.token(req)),
    );
    this.tokenGrants.set('authorization_code', (req, client) => this.authorizationCodeGrant(req, client));
  }

  private get codeFlow(): AuthorizationCodeFlow {
    if (!this.codeFlowState) throw new Error('Company IdP emulator is not started.');
    return this.codeFlowState;
  }

  setTokenFault(fault: CompanyTokenFault | null): void {
    this.tokenFault = fault;
  }

  private authorizePage(req: AppRequest): AppResponse {
    const pending = this.codeFlow.begin(req);
    if (!('id' in pending)) return pending;
    return consentPage({
      title: 'Company sign-in (emulator)',
      color: '#1f5fbf',
      action: '/authorize',
      pending,
      subjects: this.members.map((m) => ({ id: m.memberId, label: `${m.memberId} ${m.name}` })),
    });
  }

  /** `authorization_code`: the code's checks, then `{access_token, token_type, expires_in, id_token, scope}`. */
  private async authorizationCodeGrant(req: AppRequest, client: CompanyClient): Promise<AppResponse> {
    const issued = this.codeFlow.redeem(req.form, client.clientId);
    if ('status' in issued) return issued;
    const fault = this.tokenFault;
    const nonce =
      issued.nonce === undefined ? undefined : fault === 'wrong-nonce' ? `${issued.nonce}x` : issued.nonce;
    const authTime = fault === 'stale-auth-time' ? issued.authTime - 86_400 : issued.authTime;
    const idToken = await this.mintIdToken({
      sub: issued.subject,
      clientId: client.clientId,
      nonce,
      authTime,
    });
    return json(200, {
      access_token: this.mintAccessToken({
        sub: issued.subject,
        clientId: client.clientId,
        authTime,
        scope: issued.scope,
      }),
      token_type: 'Bearer',
      expires_in: 3600,
      ...(fault === 'no-id-token' ? {} : { id_token: idToken }),
      scope: issued.scope,
    });
  }

  // ---------------------------------------------------------------- minting and control

  async mintIdToken(opts: CompanyMintIdTokenOptions): Promise<string> {
    if (!opts.sub) throw new Error('Company IdP emulator: sub is required.');
    const alg = opts.alg ?? 'RS256';
    const key = this.currentKeys[alg];
    const member = this.members.find((m) => m.memberId === opts.sub);
    const clientId = opts.clientId ?? this.defaultClientId;
    const iat = Math.floor((opts.issuedAt ?? this.clock.now()).getTime() / 1000);
    const payload: JWTPayload = {
      iss: opts.issuer ?? this.issuer,
      sub: opts.sub,
      aud: opts.extraAudiences?.length ? [clientId, ...opts.extraAudiences] : clientId,
      exp: iat + (opts.expiresInSec ?? DEFAULT_ID_TOKEN_TTL_SEC),
      iat,
      ...(opts.nonce !== undefined ? { nonce: opts.nonce } : {}),
      ...(opts.azp !== undefined ? { azp: opts.azp } : {}),
      ...(opts.authTime !== undefined ? { auth_time: opts.authTime } : {}),
      ...(opts.jti === null ? {} : { jti: opts.jti ?? randomUUID() }),
      ...(member ? { name: member.name, email: member.email } : {}),
    };
    return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', kid: key.kid }).sign(key.privateKey);
  }

  async rotateKeys(): Promise<void> {
    const [rsa, ec] = await Promise.all([newKeyPair('RS256'), newKeyPair('ES256')]);
    this.keys = { RS256: rsa, ES256: ec };
  }

  setOutage(endpoint: CompanyOutageEndpoint | 'all', mode: Outage | null): void {
    for (const name of endpoint === 'all' ? COMPANY_OUTAGE_ENDPOINTS : [endpoint])
      this.outages.set(name, mode);
  }

  async close(): Promise<void> {
    await this.running?.close();
  }

  private get currentKeys(): Record<CompanySigningAlg, KeyPair> {
    if (!this.keys) throw new Error('Company IdP emulator is not started.');
    return this.keys;
  }
}
