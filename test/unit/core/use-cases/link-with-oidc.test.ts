import {
  CompanyTokenReplayedError,
  CompanyUserAlreadyLinkedError,
  InvalidTokenError,
  LineUserAlreadyLinkedError,
} from '../../../../functions/core/errors.js';
import { linkWithOidc } from '../../../../functions/core/use-cases/link-with-oidc.js';
import { getMyLink } from '../../../../functions/core/use-cases/get-my-link.js';
import { unlinkMe } from '../../../../functions/core/use-cases/unlink-me.js';
import {
  FAKE_LINE_CHANNEL,
  fakeCompanyVerifier,
  fakeLineTokenShape,
  fakeLineVerifier,
  frozenClock,
  InMemoryAuditLog,
  InMemoryLinkRepository,
  unansweredFriendshipStatus,
} from '../../../support/fakes.js';
import { InMemoryFriendshipStore } from '../../../support/messaging-fakes.js';
import type { FriendshipStatusApi, LineIdentityVerifier } from '../../../../functions/core/ports/index.js';
import { UpstreamError } from '../../../../functions/core/errors.js';

/** COMPANY_ID_TOKEN_MAX_AGE_SECONDS's default. */
const settings = { companyIdTokenMaxAgeSeconds: 600 };
/** How the use case tells a LINE access token, and LINE's friendship API (never answering). */
const friendshipPorts = { lineTokenShape: fakeLineTokenShape, friendshipStatus: unansweredFriendshipStatus };

describe('linkWithOidc', () => {
  const setup = () => {
    const links = new InMemoryLinkRepository();
    const audit = new InMemoryAuditLog();
    const clock = frozenClock();
    return {
      links,
      audit,
      ports: {
        links,
        audit,
        line: fakeLineVerifier,
        company: fakeCompanyVerifier(clock),
        clock,
        settings,
        ...friendshipPorts,
      },
    };
  };

  it('links the two verified identities with method oidc and the clock time', async () => {
    const { ports, links } = setup();
    const result = await linkWithOidc({ lineToken: 'line:U1', companyIdToken: 'company:M1' }, ports);
    expect(result).toEqual({
      created: true,
      link: {
        lineUserId: 'U1',
        companyUserId: 'M1',
        method: 'oidc',
        linkedAt: '2026-11-22T09:00:00.000Z',
        channelId: FAKE_LINE_CHANNEL,
      },
    });
    expect(links.byCompany.get('M1')?.lineUserId).toBe('U1');
  });

  it('is idempotent for the same pair and keeps the first linkedAt', async () => {
    const { ports } = setup();
    await linkWithOidc({ lineToken: 'line:U1', companyIdToken: 'company:M1' }, ports);
    const again = await linkWithOidc(
      { lineToken: 'line:U1', companyIdToken: 'company:M1' },
      { ...ports, clock: frozenClock('2026-11-22T09:05:00.000Z') },
    );
    expect(again.created).toBe(false);
    expect(again.link.linkedAt).toBe('2026-11-22T09:00:00.000Z');
  });

  it('refuses a conflict on either side', async () => {
    const { ports } = setup();
    await linkWithOidc({ lineToken: 'line:U1', companyIdToken: 'company:M1' }, ports);
    await expect(
      linkWithOidc({ lineToken: 'line:U1', companyIdToken: 'company:M2' }, ports),
    ).rejects.toBeInstanceOf(LineUserAlreadyLinkedError);
    // Another sign-in of M1 (U1's own token is bound to U1).
    await expect(
      linkWithOidc({ lineToken: 'line:U2', companyIdToken: 'company:M1;jti=other' }, ports),
    ).rejects.toBeInstanceOf(CompanyUserAlreadyLinkedError);
  });

  it('writes nothing when either token is invalid', async () => {
    const { ports, links } = setup();
    await expect(
      linkWithOidc({ lineToken: 'bogus', companyIdToken: 'company:M1' }, ports),
    ).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(
      linkWithOidc({ lineToken: 'line:U1', companyIdToken: 'bogus' }, ports),
    ).rejects.toMatchObject({
      code: 'invalid-company-token',
    });
    expect(links.byLine.size + links.byCompany.size).toBe(0);
  });
});

describe('linkWithOidc: a company token is taken fresh, and from one LINE user', () => {
  const NOW = Date.parse('2026-11-22T09:00:00.000Z') / 1000;
  const setup = () => {
    const links = new InMemoryLinkRepository();
    const audit = new InMemoryAuditLog();
    const clock = frozenClock();
    const ports = {
      links,
      audit,
      line: fakeLineVerifier,
      company: fakeCompanyVerifier(clock),
      clock,
      settings,
      ...friendshipPorts,
    };
    return { links, audit, ports };
  };
  const link = (lineUserId: string, companyIdToken: string, ports: ReturnType<typeof setup>['ports']) =>
    linkWithOidc({ lineToken: `line:${lineUserId}`, companyIdToken }, ports);

  it('takes a sign-in exactly COMPANY_ID_TOKEN_MAX_AGE_SECONDS old, and binds the token to the LINE user', async () => {
    const { ports, links } = setup();
    const result = await link('U1', `company:M1;signedInAt=${NOW - 600};jti=j1`, ports);
    expect(result.created).toBe(true);
    expect(links.companyTokens.get('jti:j1')).toEqual({ lineUserId: 'U1', expiresAt: NOW - 600 + 3600 });
  });

  it('refuses a sign-in one second older (invalid-company-token, reason stale) and writes nothing', async () => {
    const { ports, links, audit } = setup();
    const stale = link('U1', `company:M1;signedInAt=${NOW - 601};jti=j1`, ports);
    await expect(stale).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(stale).rejects.toMatchObject({ code: 'invalid-company-token', reason: 'stale' });
    expect(links.byLine.size + links.byCompany.size + links.companyTokens.size).toBe(0);
    expect(audit.events).toEqual([]);
  });

  it('follows the setting', async () => {
    const { ports } = setup();
    const strict = { ...ports, settings: { companyIdTokenMaxAgeSeconds: 60 } };
    await expect(link('U1', `company:M1;signedInAt=${NOW - 61}`, strict)).rejects.toMatchObject({
      reason: 'stale',
    });
    await expect(link('U1', `company:M1;signedInAt=${NOW - 60}`, strict)).resolves.toMatchObject({
      created: true,
    });
  });

  it('refuses the same token from another LINE user (company-token-replayed) and writes nothing', async () => {
    const { ports, links, audit } = setup();
    const first = await link('U1', 'company:M1;jti=j1', ports);
    const eventsBefore = audit.events.length;
    await expect(link('U2', 'company:M1;jti=j1', ports)).rejects.toBeInstanceOf(CompanyTokenReplayedError);
    await expect(link('U2', 'company:M1;jti=j1', ports)).rejects.toMatchObject({
      code: 'company-token-replayed',
    });
    expect([...links.byLine.values()]).toEqual([first.link]);
    expect(links.companyTokens.get('jti:j1')?.lineUserId).toBe('U1');
    expect(audit.events).toHaveLength(eventsBefore);
  });

  it('takes the same token from the same LINE user again as a retry: the same link, created false', async () => {
    const { ports, audit } = setup();
    const first = await link('U1', 'company:M1;jti=j1', ports);
    const again = await link('U1', 'company:M1;jti=j1', ports);
    expect(again).toEqual({ link: first.link, created: false });
    expect(audit.events.at(-1)).toMatchObject({ type: 'relink', lineUserId: 'U1', companyUserId: 'M1' });
  });

  it('a first try that wrote nothing (a conflict) leaves the token free: the retry links, 201', async () => {
    const { ports, links } = setup();
    await link('U1', 'company:M2;jti=j0', ports);
    await expect(link('U1', 'company:M1;jti=j1', ports)).rejects.toBeInstanceOf(LineUserAlreadyLinkedError);
    expect(links.companyTokens.has('jti:j1')).toBe(false);
    await unlinkMe({ lineToken: 'line:U1' }, ports);
    await expect(link('U1', 'company:M1;jti=j1', ports)).resolves.toMatchObject({
      created: true,
      link: { lineUserId: 'U1', companyUserId: 'M1' },
    });
  });

  it('a relink binds the token too: from another LINE user it is a replay, not a conflict', async () => {
    const { ports } = setup();
    await link('U1', 'company:M1;jti=j1', ports);
    await expect(link('U1', 'company:M1;jti=j2', ports)).resolves.toMatchObject({ created: false });
    await unlinkMe({ lineToken: 'line:U1' }, ports);
    await expect(link('U2', 'company:M1;jti=j2', ports)).rejects.toBeInstanceOf(CompanyTokenReplayedError);
  });

  it('an invalid company token binds nothing', async () => {
    const { ports, links } = setup();
    await expect(link('U1', 'bogus', ports)).rejects.toMatchObject({ code: 'invalid-company-token' });
    expect(links.companyTokens.size).toBe(0);
  });
});

describe('linkWithOidc friendship', () => {
  const NOW = '2026-11-22T09:00:00.000Z';
  const EARLIER = '2026-11-22T08:00:00.000Z';
  /** `access:<userId>` tokens prove the user as a LINE access token would; others as ID tokens. */
  const line: LineIdentityVerifier = {
    async verifyBearer(token) {
      const access = token.match(/^access:(.+)$/);
      if (access) return { userId: access[1]!, via: 'access-token', channelId: FAKE_LINE_CHANNEL };
      return fakeLineVerifier.verifyBearer(token);
    },
  };
  /** LINE's friendship API answering `answer` (undefined: LINE unavailable), recording whom it was asked about. */
  const friendshipApi = (answer: boolean | undefined) => {
    const asked: string[] = [];
    const api: FriendshipStatusApi = {
      isFriend: async (token) => {
        asked.push(token);
        if (answer === undefined) throw new UpstreamError('line', 'unavailable');
        return answer;
      },
    };
    return { asked, api };
  };
  const setup = (answer: boolean | undefined) => {
    const links = new InMemoryLinkRepository();
    const friendship = new InMemoryFriendshipStore(links);
    const clock = frozenClock(NOW);
    const status = friendshipApi(answer);
    const ports = {
      links,
      friendship,
      audit: new InMemoryAuditLog(),
      line,
      company: fakeCompanyVerifier(clock),
      clock,
      settings,
      lineTokenShape: fakeLineTokenShape,
      friendshipStatus: status.api,
    };
    return { links, friendship, ports, asked: status.asked };
  };

  it("an access token's link is made with LINE's answer, recorded as of now", async () => {
    const { ports, friendship, asked } = setup(true);
    await friendship.record('U1', false, EARLIER);
    const result = await linkWithOidc({ lineToken: 'access:U1', companyIdToken: 'company:M1' }, ports);
    expect(asked).toEqual(['access:U1']);
    expect(result).toMatchObject({
      created: true,
      link: { friend: true, friendUpdatedAt: NOW },
    });
    expect(friendship.known.get('U1')).toEqual({ friend: true, at: NOW });
  });

  it('LINE not telling (failed, timed out): the link takes over what was known', async () => {
    const { ports, asked } = setup(undefined);
    await ports.friendship.record('U1', true, EARLIER);
    const result = await linkWithOidc({ lineToken: 'access:U1', companyIdToken: 'company:M1' }, ports);
    expect(asked).toEqual(['access:U1']);
    expect(result.link).toMatchObject({ friend: true, friendUpdatedAt: EARLIER });
  });

  it('a bearer presenting itself as an ID token is never sent to LINE; the link takes over what was known', async () => {
    const { ports, asked } = setup(false);
    await ports.friendship.record('U1', true, EARLIER);
    const result = await linkWithOidc({ lineToken: 'line:U1', companyIdToken: 'company:M1' }, ports);
    expect(asked).toEqual([]);
    expect(result.link).toMatchObject({ friend: true, friendUpdatedAt: EARLIER });
  });

  it("an ID token's link ignores an answer it should not have (the shape said access token)", async () => {
    const { ports, asked } = setup(false);
    await ports.friendship.record('U1', true, EARLIER);
    const result = await linkWithOidc(
      { lineToken: 'line:U1', companyIdToken: 'company:M1' },
      { ...ports, lineTokenShape: { presentsAsIdToken: () => false } },
    );
    expect(asked).toEqual(['line:U1']);
    expect(result.link).toMatchObject({ friend: true, friendUpdatedAt: EARLIER });
  });

  it('LINE is asked while the tokens are verified, not after', async () => {
    const { ports, asked } = setup(true);
    let release!: () => void;
    const verified = new Promise<void>((resolve) => (release = resolve));
    const slowLine: LineIdentityVerifier = {
      verifyBearer: async (token) => {
        await verified;
        return line.verifyBearer(token);
      },
    };
    const linking = linkWithOidc(
      { lineToken: 'access:U1', companyIdToken: 'company:M1' },
      { ...ports, line: slowLine },
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked).toEqual(['access:U1']);
    release();
    await expect(linking).resolves.toMatchObject({ link: { friend: true } });
  });

  it('an invalid token writes no friendship either', async () => {
    const { ports, friendship } = setup(true);
    await expect(
      linkWithOidc({ lineToken: 'bogus', companyIdToken: 'company:M1' }, ports),
    ).rejects.toBeInstanceOf(InvalidTokenError);
    expect(friendship.known.size).toBe(0);
  });
});

describe('getMyLink and unlinkMe', () => {
  it('returns the caller link, unlinks both sides, and then reports not-linked', async () => {
    const links = new InMemoryLinkRepository();
    const ports = {
      links,
      audit: new InMemoryAuditLog(),
      line: fakeLineVerifier,
      company: fakeCompanyVerifier(),
      clock: frozenClock(),
      settings,
      ...friendshipPorts,
    };
    await linkWithOidc({ lineToken: 'line:U1', companyIdToken: 'company:M1' }, ports);
    await expect(getMyLink({ lineToken: 'line:U1' }, ports)).resolves.toMatchObject({ companyUserId: 'M1' });
    await expect(unlinkMe({ lineToken: 'line:U1' }, ports)).resolves.toMatchObject({
      link: { companyUserId: 'M1' },
    });
    expect(links.byCompany.size).toBe(0);
    await expect(getMyLink({ lineToken: 'line:U1' }, ports)).rejects.toMatchObject({ code: 'not-linked' });
    await expect(unlinkMe({ lineToken: 'line:U1' }, ports)).resolves.toEqual({});
  });
});
