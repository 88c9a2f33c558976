import {
  AuthorizationCodeRejectedError,
  InvalidTokenError,
  LoginStateError,
  UpstreamError,
} from '../../functions/core/errors.js';
import { pkceChallenge, type LoginLeg, type LoginSession } from '../../functions/core/login-session.js';
import type {
  AuthorizeRequest,
  LoginSessionStore,
  OAuthLoginClient,
  RandomSource,
} from '../../functions/core/ports/index.js';

/**
 * In-memory fakes of the web flow's ports, with the same contracts as the real adapters:
 * consume-once with the expiry and binding conditions, PKCE-checked single-use codes.
 */
export class InMemoryLoginSessionStore implements LoginSessionStore {
  readonly sessions = new Map<string, LoginSession>();

  async create(session: LoginSession): Promise<void> {
    const key = `${session.leg}#${session.state}`;
    if (this.sessions.has(key)) throw new Error('state collision');
    this.sessions.set(key, { ...session });
  }

  async consume(key: {
    state: string;
    leg: LoginLeg;
    bindingHash: string;
    now: Date;
  }): Promise<LoginSession> {
    const id = `${key.leg}#${key.state}`;
    const session = this.sessions.get(id);
    if (!session) throw new LoginStateError('unknown');
    if (!(session.expiresAt > Math.floor(key.now.getTime() / 1000))) throw new LoginStateError('expired');
    if (session.bindingHash !== key.bindingHash) throw new LoginStateError('not-bound');
    this.sessions.delete(id);
    return session;
  }

  find(leg: LoginLeg): LoginSession[] {
    return [...this.sessions.values()].filter((s) => s.leg === leg);
  }
}

/** Deterministic "randomness": 1, 2, 3… as zero-padded hex of the requested length. */
export function counterRandom(): RandomSource & { calls: number } {
  const source = {
    calls: 0,
    hex(bytes: number) {
      source.calls++;
      return source.calls.toString(16).padStart(bytes * 2, '0');
    },
  };
  return source;
}

/**
 * An authorization server in memory. Tests log a user in with {@link authorize} (what the
 * browser would do at the authorize page) and get a code bound to the request's nonce and PKCE
 * challenge; ID tokens are JSON strings `{"sub", "nonce"}`, "verified" by parsing.
 */
export class FakeAuthorizationServer implements OAuthLoginClient {
  readonly requests: AuthorizeRequest[] = [];
  readonly redeemed: Array<{ code: string; redirectUri: string; codeVerifier: string }> = [];
  private readonly codes = new Map<
    string,
    { userId: string; nonce: string; challenge: string; redirectUri: string }
  >();
  /** When set, redeemCode throws it. */
  failRedeem: Error | undefined;
  /** When set, authorizeUrl throws it. */
  failAuthorize: Error | undefined;
  private next = 0;

  constructor(
    readonly realm: 'line' | 'company',
    readonly base = `https://${realm}.idp.test/authorize`,
  ) {}

  async authorizeUrl(request: AuthorizeRequest): Promise<string> {
    if (this.failAuthorize) throw this.failAuthorize;
    this.requests.push(request);
    const params = new URLSearchParams({
      state: request.state,
      nonce: request.nonce,
      code_challenge: request.codeChallenge,
      redirect_uri: request.redirectUri,
      ...(request.disableAutoLogin ? { disable_auto_login: 'true' } : {}),
    });
    return `${this.base}?${params}`;
  }

  /** The user logs in for the last authorization request (or `request`); returns the code. */
  authorize(userId: string, request: AuthorizeRequest | undefined = this.requests.at(-1)): string {
    if (!request) throw new Error('no authorization request');
    const code = `code-${this.realm}-${++this.next}`;
    this.codes.set(code, {
      userId,
      nonce: request.nonce,
      challenge: request.codeChallenge,
      redirectUri: request.redirectUri,
    });
    return code;
  }

  async redeemCode(request: { code: string; redirectUri: string; codeVerifier: string }): Promise<string> {
    this.redeemed.push(request);
    if (this.failRedeem) throw this.failRedeem;
    const issued = this.codes.get(request.code);
    this.codes.delete(request.code);
    if (
      !issued ||
      issued.redirectUri !== request.redirectUri ||
      pkceChallenge(request.codeVerifier) !== issued.challenge
    ) {
      throw new AuthorizationCodeRejectedError(this.realm);
    }
    return JSON.stringify({ sub: issued.userId, nonce: issued.nonce });
  }

  async verifyRedeemedIdToken(idToken: string, nonce: string): Promise<{ userId: string }> {
    let claims: { sub?: string; nonce?: string };
    try {
      claims = JSON.parse(idToken) as { sub?: string; nonce?: string };
    } catch {
      throw new UpstreamError(this.realm === 'line' ? 'line' : 'company-idp', 'bad-response');
    }
    if (claims.nonce !== nonce) throw new InvalidTokenError(this.realm, 'nonce mismatch');
    return { userId: claims.sub! };
  }
}
