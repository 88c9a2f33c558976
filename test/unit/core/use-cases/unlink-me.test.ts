import { UpstreamError } from '../../../../functions/core/errors.js';
import type { LineDeauthorizer, LineIdentityVerifier } from '../../../../functions/core/ports/index.js';
import { unlinkMe } from '../../../../functions/core/use-cases/unlink-me.js';
import { frozenClock, InMemoryAuditLog, InMemoryLinkRepository } from '../../../support/fakes.js';

/** `id:<user>` is an ID token, `at:<user>` an access token; `…:<channel>` issued by another channel. */
const verifier: LineIdentityVerifier = {
  async verifyBearer(token) {
    const [kind, userId, channelId = LOGIN_CHANNEL] = token.split(':');
    return { userId: userId!, channelId, via: kind === 'at' ? 'access-token' : 'id-token' };
  },
};
const LOGIN_CHANNEL = '1234567890';

function setup(deauthorize: LineDeauthorizer['deauthorize']) {
  const links = new InMemoryLinkRepository();
  const audit = new InMemoryAuditLog();
  const calls: string[] = [];
  const sleeps: number[] = [];
  const ports = {
    line: verifier,
    links,
    deauthorize: {
      deauthorizer: {
        deauthorize: async (token: string) => {
          calls.push(token);
          return deauthorize(token);
        },
      },
      channelId: LOGIN_CHANNEL,
      audit,
      clock: frozenClock(),
      sleep: async (ms: number) => void sleeps.push(ms),
    },
  };
  return { links, audit, calls, sleeps, ports };
}

const link = {
  lineUserId: 'U1',
  companyUserId: 'M1',
  method: 'oidc' as const,
  linkedAt: '2026-11-01T00:00:00.000Z',
};

describe('unlinkMe deauthorizes at LINE', () => {
  test('with an access token: unlinks, deauthorizes with that token, audits deauthorized', async () => {
    const { links, audit, calls, ports } = setup(async () => undefined);
    await links.create(link);
    await expect(unlinkMe({ lineToken: 'at:U1' }, ports)).resolves.toEqual({
      link,
      deauthorize: 'deauthorized',
    });
    expect(calls).toEqual(['at:U1']);
    expect(links.byLine.size).toBe(0);
    expect(audit.events).toEqual([
      {
        type: 'deauthorize',
        at: '2026-11-22T09:00:00.000Z',
        lineUserId: 'U1',
        companyUserId: 'M1',
        code: 'deauthorized',
      },
    ]);
  });

  test('a LINE outage never keeps the link: unlinked first, retried a bounded number of times, failure audited', async () => {
    const { links, audit, calls, sleeps, ports } = setup(async () => {
      throw new UpstreamError('line', 'unavailable');
    });
    await links.create(link);
    await expect(unlinkMe({ lineToken: 'at:U1' }, ports)).resolves.toEqual({
      link,
      deauthorize: 'deauthorize-failed',
    });
    expect(links.byLine.size).toBe(0);
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
    expect(audit.events).toMatchObject([{ type: 'deauthorize', code: 'deauthorize-failed' }]);
  });

  test('a transient failure then success is deauthorized', async () => {
    let n = 0;
    const { links, audit, calls, ports } = setup(async () => {
      if (n++ === 0) throw new UpstreamError('line', 'unavailable');
    });
    await links.create(link);
    await unlinkMe({ lineToken: 'at:U1' }, ports);
    expect(calls).toHaveLength(2);
    expect(audit.events).toMatchObject([{ code: 'deauthorized' }]);
  });

  test('with only an ID token: unlinked, LINE not called, the audit says deauthorize was not possible', async () => {
    const { links, audit, calls, ports } = setup(async () => undefined);
    await links.create(link);
    await expect(unlinkMe({ lineToken: 'id:U1' }, ports)).resolves.toEqual({
      link,
      deauthorize: 'deauthorize-not-possible',
    });
    expect(links.byLine.size).toBe(0);
    expect(calls).toEqual([]);
    expect(audit.events).toMatchObject([
      { type: 'deauthorize', code: 'deauthorize-not-possible', detail: 'no-access-token' },
    ]);
  });

  test("another channel's access token: unlinked, never sent to LINE with our channel's token, audited why", async () => {
    const { links, audit, calls, ports } = setup(async () => undefined);
    await links.create(link);
    await expect(unlinkMe({ lineToken: 'at:U1:2999999999' }, ports)).resolves.toEqual({
      link,
      deauthorize: 'deauthorize-not-possible',
    });
    expect(links.byLine.size).toBe(0);
    expect(calls).toEqual([]);
    expect(audit.events).toMatchObject([
      { type: 'deauthorize', code: 'deauthorize-not-possible', detail: 'channel-not-configured' },
    ]);
  });

  test('nothing linked: nothing to deauthorize, nothing audited', async () => {
    const { audit, calls, ports } = setup(async () => undefined);
    await expect(unlinkMe({ lineToken: 'at:U1' }, ports)).resolves.toEqual({});
    expect(calls).toEqual([]);
    expect(audit.events).toEqual([]);
  });
});
