import {
  CompanyTokenReplayedError,
  FeatureDisabledError,
  InvalidTokenError,
  LineNonceRejectedError,
  LineNonceRequiredError,
} from '../../../../functions/core/errors.js';
import { issueLinkNonce } from '../../../../functions/core/use-cases/issue-link-nonce.js';
import { linkWithOidc } from '../../../../functions/core/use-cases/link-with-oidc.js';
import {
  fakeCompanyAccessTokenVerifier,
  fakeCompanyVerifier,
  fakeLineTokenShape,
  fakeLineVerifier,
  frozenClock,
  InMemoryAuditLog,
  InMemoryLinkNonceStore,
  InMemoryLinkRepository,
  unansweredFriendshipStatus,
} from '../../../support/fakes.js';

/**
 * `linkWithOidc` with what apps add to pattern 1: a company access token instead of an ID token
 * (seed 000), and a server-issued LINE nonce (seed 001, LINE_REQUIRE_NONCE), with in-memory fakes.
 */

const clock = frozenClock();
const nowSec = Math.floor(clock.now().getTime() / 1000);

function setup(settings: { requireLineNonce?: boolean } = {}, accessTokens = true) {
  const links = new InMemoryLinkRepository();
  const nonces = new InMemoryLinkNonceStore(links);
  const ports = {
    links,
    audit: new InMemoryAuditLog(),
    line: fakeLineVerifier,
    company: fakeCompanyVerifier(clock),
    ...(accessTokens ? { companyAccessTokens: fakeCompanyAccessTokenVerifier(clock) } : {}),
    clock,
    lineTokenShape: fakeLineTokenShape,
    friendshipStatus: unansweredFriendshipStatus,
    settings: { companyIdTokenMaxAgeSeconds: 600, ...settings },
  };
  let counter = 0;
  const issue = async () =>
    (
      await issueLinkNonce({
        nonces,
        clock,
        random: { hex: (bytes) => (++counter).toString(16).padStart(bytes * 2, '0') },
        settings: { ttlSeconds: 300 },
      })
    ).nonce;
  return { links, ports, issue };
}

describe('a company access token', () => {
  it('links its subject and binds the token to the LINE user for as long as it is fresh', async () => {
    const { ports, links } = setup();
    const result = await linkWithOidc({ lineToken: 'line:U1', companyAccessToken: 'access:M1' }, ports);
    expect(result).toMatchObject({
      created: true,
      link: { lineUserId: 'U1', companyUserId: 'M1', method: 'oidc' },
    });
    // No exp from the IdP: kept while the freshness rule would let the token in, and a margin.
    expect(links.companyTokens.get('sha256:access:M1')).toEqual({
      lineUserId: 'U1',
      expiresAt: nowSec + 600 + 60,
    });
  });

  it('is refused when the sign-in is older than the max age', async () => {
    const { ports } = setup();
    await expect(
      linkWithOidc(
        { lineToken: 'line:U1', companyAccessToken: `access:M1;signedInAt=${nowSec - 601}` },
        ports,
      ),
    ).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('from another LINE user is a replay', async () => {
    const { ports } = setup();
    await linkWithOidc({ lineToken: 'line:U1', companyAccessToken: 'access:M1' }, ports);
    await expect(
      linkWithOidc({ lineToken: 'line:U2', companyAccessToken: 'access:M1' }, ports),
    ).rejects.toBeInstanceOf(CompanyTokenReplayedError);
  });

  it('where access tokens are off: FeatureDisabledError, nothing written', async () => {
    const { ports, links } = setup({}, false);
    await expect(
      linkWithOidc({ lineToken: 'line:U1', companyAccessToken: 'access:M1' }, ports),
    ).rejects.toBeInstanceOf(FeatureDisabledError);
    expect(links.byLine.size).toBe(0);
  });
});

describe('requireLineNonce', () => {
  it('links with an issued nonce and uses it up: a second link with it is refused', async () => {
    const { ports, links, issue } = setup({ requireLineNonce: true });
    const nonce = await issue();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect(
      linkWithOidc({ lineToken: `line:U1;nonce=${nonce}`, companyIdToken: 'company:M1' }, ports),
    ).resolves.toMatchObject({ created: true });
    expect(links.linkNonces.get(nonce)?.usedBy).toBe('U1 M1');
    await expect(
      linkWithOidc({ lineToken: `line:U2;nonce=${nonce}`, companyIdToken: 'company:M2' }, ports),
    ).rejects.toBeInstanceOf(LineNonceRejectedError);
    // The same request again is a retry.
    await expect(
      linkWithOidc({ lineToken: `line:U1;nonce=${nonce}`, companyIdToken: 'company:M1' }, ports),
    ).resolves.toMatchObject({ created: false });
  });

  it('refuses a LINE access token before anything is verified', async () => {
    const { ports } = setup({ requireLineNonce: true });
    let asked = 0;
    const line = { verifyBearer: async () => (asked++, fakeLineVerifier.verifyBearer('line:U1')) };
    await expect(
      linkWithOidc({ lineToken: 'opaque-access-token', companyIdToken: 'company:M1' }, { ...ports, line }),
    ).rejects.toBeInstanceOf(LineNonceRequiredError);
    expect(asked).toBe(0);
  });

  it('refuses an ID token without nonce, and an unknown or expired nonce', async () => {
    const { ports, links, issue } = setup({ requireLineNonce: true });
    await expect(
      linkWithOidc({ lineToken: 'line:U1', companyIdToken: 'company:M1' }, ports),
    ).rejects.toBeInstanceOf(LineNonceRequiredError);
    await expect(
      linkWithOidc({ lineToken: 'line:U1;nonce=never-issued', companyIdToken: 'company:M1' }, ports),
    ).rejects.toBeInstanceOf(LineNonceRejectedError);
    const nonce = await issue();
    const later = { now: () => new Date(clock.now().getTime() + 301_000) };
    await expect(
      linkWithOidc(
        { lineToken: `line:U1;nonce=${nonce}`, companyIdToken: 'company:M1' },
        { ...ports, clock: later },
      ),
    ).rejects.toBeInstanceOf(LineNonceRejectedError);
    expect(links.byLine.size).toBe(0);
  });

  it('is not asked for when off: an ID token without nonce links', async () => {
    const { ports } = setup();
    await expect(
      linkWithOidc({ lineToken: 'line:U1', companyIdToken: 'company:M1' }, ports),
    ).resolves.toMatchObject({ created: true });
  });
});
