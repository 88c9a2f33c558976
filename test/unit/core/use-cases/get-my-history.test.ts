import { jest } from '@jest/globals';
import { InvalidTokenError } from '../../../../functions/core/errors.js';
import { getMyHistory, MAX_HISTORY_PAGE_SIZE } from '../../../../functions/core/use-cases/get-my-history.js';
import { fakeLineVerifier, InMemoryAuditLog } from '../../../support/fakes.js';

describe('getMyHistory', () => {
  const setup = async () => {
    const audit = new InMemoryAuditLog();
    for (let i = 0; i < 3; i++) {
      await audit.record({
        type: 'link',
        at: `2026-01-0${i + 1}T00:00:00.000Z`,
        lineUserId: 'U1',
        companyUserId: 'M1',
        method: 'oidc',
      });
    }
    await audit.record({
      type: 'link',
      at: '2026-01-05T00:00:00.000Z',
      lineUserId: 'U2',
      companyUserId: 'M2',
      method: 'oidc',
    });
    return { audit, ports: { line: fakeLineVerifier, audit } };
  };

  it("returns only the verified caller's events, newest first", async () => {
    const { ports } = await setup();
    const page = await getMyHistory({ lineToken: 'line:U1' }, ports);
    expect(page.events.map((e) => e.at)).toEqual([
      '2026-01-03T00:00:00.000Z',
      '2026-01-02T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);
    expect(page.events.every((e) => e.lineUserId === 'U1')).toBe(true);
  });

  it('refuses an unverified caller before reading anything', async () => {
    const { ports, audit } = await setup();
    const list = jest.spyOn(audit, 'listByLineUserId');
    await expect(getMyHistory({ lineToken: 'nope' }, ports)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(list).not.toHaveBeenCalled();
  });

  it('bounds the page size and passes the cursor through', async () => {
    const { ports, audit } = await setup();
    const list = jest.spyOn(audit, 'listByLineUserId');
    await getMyHistory({ lineToken: 'line:U1', limit: 10_000 }, ports);
    await getMyHistory({ lineToken: 'line:U1', limit: 0, cursor: '1' }, ports);
    await getMyHistory({ lineToken: 'line:U1' }, ports);
    expect(list.mock.calls.map((c) => c[1])).toEqual([
      { limit: MAX_HISTORY_PAGE_SIZE },
      { limit: 1, cursor: '1' },
      { limit: 20 },
    ]);
  });
});
