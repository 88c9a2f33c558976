import { jest } from '@jest/globals';
import { LineUserAlreadyLinkedError } from '../../../../functions/core/errors.js';
import type { AuditEvent } from '../../../../functions/core/ports/index.js';
import { linkAccounts } from '../../../../functions/core/use-cases/link-accounts.js';
import { frozenClock, InMemoryAuditLog, InMemoryLinkRepository } from '../../../support/fakes.js';

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
    expect(create).toHaveBeenCalledWith(expect.objectContaining({ lineUserId: 'U1' }), {
      consentVersion: 'tos-2026.1',
    });
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
