import { jest } from '@jest/globals';
import { LineUserAlreadyLinkedError } from '../../../../functions/core/errors.js';
import type { AuditEvent } from '../../../../functions/core/ports/index.js';
import { linkAccounts } from '../../../../functions/core/use-cases/link-accounts.js';
import { frozenClock, InMemoryAuditLog, InMemoryLinkRepository } from '../../../support/fakes.js';
import { InMemoryFriendshipStore } from '../../../support/messaging-fakes.js';

describe('linkAccounts audit trail', () => {
  const setup = () => {
    const links = new InMemoryLinkRepository();
    const audit = new InMemoryAuditLog();
    return { links, audit, ports: { links, audit, clock: frozenClock('2026-11-22T09:00:00.000Z') } };
  };

  it('passes the consent version to the repository with a new link and records nothing itself', async () => {
    const { ports, audit, links } = setup();
    const create = jest.spyOn(links, 'create');
    const result = await linkAccounts(
      { lineUserId: 'U1', companyUserId: 'M1', method: 'record', consentVersion: 'tos-2026.1' },
      ports,
    );
    expect(result.created).toBe(true);
    expect(create).toHaveBeenCalledWith(
      expect.objectContaining({ lineUserId: 'U1' }),
      { consentVersion: 'tos-2026.1' },
      { known: 'unknown' },
      undefined, // no guards
    );
    // The link event is the repository's job (same transaction), not an after-the-fact record.
    expect(audit.events).toEqual([]);
  });

  it('records an idempotent relink with the method and consent version of the new request', async () => {
    const { ports, audit } = setup();
    await linkAccounts({ lineUserId: 'U1', companyUserId: 'M1', method: 'oidc' }, ports);
    const again = await linkAccounts(
      { lineUserId: 'U1', companyUserId: 'M1', method: 'api', consentVersion: 'v2' },
      { ...ports, clock: frozenClock('2026-12-01T00:00:00.000Z') },
    );
    expect(again.created).toBe(false);
    expect(audit.events).toEqual<AuditEvent[]>([
      {
        type: 'relink',
        at: '2026-12-01T00:00:00.000Z',
        lineUserId: 'U1',
        companyUserId: 'M1',
        method: 'api',
        consentVersion: 'v2',
      },
    ]);
  });

  it('records a conflict with its code and the attempted pair, then refuses it', async () => {
    const { ports, audit } = setup();
    await linkAccounts({ lineUserId: 'U1', companyUserId: 'M1', method: 'oidc' }, ports);
    await expect(
      linkAccounts({ lineUserId: 'U1', companyUserId: 'M2', method: 'oidc' }, ports),
    ).rejects.toBeInstanceOf(LineUserAlreadyLinkedError);
    await expect(
      linkAccounts({ lineUserId: 'U2', companyUserId: 'M1', method: 'record' }, ports),
    ).rejects.toMatchObject({
      code: 'company-user-already-linked',
    });
    expect(audit.events).toEqual<AuditEvent[]>([
      {
        type: 'conflict',
        at: '2026-11-22T09:00:00.000Z',
        lineUserId: 'U1',
        companyUserId: 'M2',
        method: 'oidc',
        code: 'line-user-already-linked',
      },
      {
        type: 'conflict',
        at: '2026-11-22T09:00:00.000Z',
        lineUserId: 'U2',
        companyUserId: 'M1',
        method: 'record',
        code: 'company-user-already-linked',
      },
    ]);
  });

  it('does not record other failures of the repository', async () => {
    const { ports, audit, links } = setup();
    jest.spyOn(links, 'create').mockRejectedValueOnce(new Error('DynamoDB is down'));
    await expect(
      linkAccounts({ lineUserId: 'U1', companyUserId: 'M1', method: 'oidc' }, ports),
    ).rejects.toThrow('DynamoDB is down');
    expect(audit.events).toEqual([]);
  });

  it('fails the request when a relink cannot be recorded, rather than answer without a trace', async () => {
    const { ports, audit } = setup();
    await linkAccounts({ lineUserId: 'U1', companyUserId: 'M1', method: 'oidc' }, ports);
    jest.spyOn(audit, 'record').mockRejectedValueOnce(new Error('audit table unavailable'));
    await expect(
      linkAccounts({ lineUserId: 'U1', companyUserId: 'M1', method: 'oidc' }, ports),
    ).rejects.toThrow('audit table unavailable');
  });
});

describe('linkAccounts friendship at link time', () => {
  const NOW = '2026-11-22T09:00:00.000Z';
  const EARLIER = '2026-11-22T08:00:00.000Z';
  const LATER = '2026-11-22T10:00:00.000Z';
  const setup = () => {
    const links = new InMemoryLinkRepository();
    const audit = new InMemoryAuditLog();
    const friendship = new InMemoryFriendshipStore(links);
    return { links, friendship, ports: { links, audit, friendship, clock: frozenClock(NOW) } };
  };
  const input = { lineUserId: 'U1', companyUserId: 'M1', method: 'oidc' as const };

  it.each(['record', 'api', 'oidc', 'account-link'] as const)(
    'a new %s link takes over a friendship learned before it (follow before link), asked or not',
    async (method) => {
      const { ports, links, friendship } = setup();
      await friendship.record('U1', true, EARLIER);
      const result = await linkAccounts({ ...input, method }, ports);
      expect(result.link).toMatchObject({ friend: true, friendUpdatedAt: EARLIER });
      expect(links.byLine.get('U1')).toMatchObject({ friend: true, friendUpdatedAt: EARLIER });
    },
  );

  it('nothing known: the link has no friend, and nothing is recorded', async () => {
    const { ports, links, friendship } = setup();
    const result = await linkAccounts({ ...input, friendship: { known: 'unknown' } }, ports);
    expect(result.link.friend).toBeUndefined();
    expect(links.byLine.get('U1')!.friend).toBeUndefined();
    expect(friendship.known.size).toBe(0);
  });

  it("LINE's answer newer than what was known: recorded, and on the new link", async () => {
    const { ports, links, friendship } = setup();
    await friendship.record('U1', false, EARLIER);
    const result = await linkAccounts(
      { ...input, friendship: { known: 'learned', friend: true, at: NOW } },
      ports,
    );
    expect(result).toMatchObject({ created: true, link: { friend: true, friendUpdatedAt: NOW } });
    expect(friendship.known.get('U1')).toEqual({ friend: true, at: NOW });
    expect(links.byLine.get('U1')).toMatchObject({ friend: true, friendUpdatedAt: NOW });
  });

  it("LINE's answer older than what was known: the known state wins, on the link too", async () => {
    const { ports, links, friendship } = setup();
    await friendship.record('U1', false, LATER);
    const result = await linkAccounts(
      { ...input, friendship: { known: 'learned', friend: true, at: NOW } },
      ports,
    );
    expect(result.link).toMatchObject({ friend: false, friendUpdatedAt: LATER });
    expect(friendship.known.get('U1')).toEqual({ friend: false, at: LATER });
    expect(links.byLine.get('U1')).toMatchObject({ friend: false, friendUpdatedAt: LATER });
  });

  it("an idempotent relink records LINE's answer (newest wins) and answers with it", async () => {
    const { ports, links, friendship } = setup();
    await linkAccounts({ ...input, friendship: { known: 'unknown' } }, ports);
    const again = await linkAccounts(
      { ...input, friendship: { known: 'learned', friend: true, at: NOW } },
      ports,
    );
    expect(again).toMatchObject({ created: false, link: { friend: true, friendUpdatedAt: NOW } });
    expect(links.byLine.get('U1')).toMatchObject({ friend: true, friendUpdatedAt: NOW });

    await friendship.record('U1', false, LATER);
    const stale = await linkAccounts(
      { ...input, friendship: { known: 'learned', friend: true, at: NOW } },
      ports,
    );
    expect(stale).toMatchObject({ created: false, link: { friend: false, friendUpdatedAt: LATER } });
  });

  it('a conflict records no friendship', async () => {
    const { ports, friendship } = setup();
    await linkAccounts(input, ports);
    await expect(
      linkAccounts(
        { ...input, companyUserId: 'M2', friendship: { known: 'learned', friend: true, at: NOW } },
        ports,
      ),
    ).rejects.toBeInstanceOf(LineUserAlreadyLinkedError);
    expect(friendship.known.size).toBe(0);
  });
});
