import { UpstreamError } from '../../../../functions/core/errors.js';
import {
  NO_RICH_MENU,
  type LinkRichMenuRecords,
  type RichMenuApi,
  type RichMenuLinkState,
} from '../../../../functions/core/ports/index.js';
import { switchRichMenu, withLineRetries } from '../../../../functions/core/use-cases/switch-rich-menu.js';
import { frozenClock, InMemoryAuditLog } from '../../../support/fakes.js';

const LINKED = `richmenu-${'a'.repeat(32)}`;
const UNLINKED = `richmenu-${'b'.repeat(32)}`;

/** A LINE that answers each call with the next of `answers` (then success), recording the calls. */
function fakeLine(answers: Array<'ok' | 'unavailable' | 'refused'> = []) {
  const calls: string[] = [];
  const answer = async (call: string) => {
    calls.push(call);
    const next = answers.shift() ?? 'ok';
    if (next === 'unavailable') throw new UpstreamError('line', 'unavailable');
    if (next === 'refused') throw new UpstreamError('line', 'bad-response');
  };
  const api: RichMenuApi = {
    linkToUser: (user, menu) => answer(`link ${user} ${menu}`),
    unlinkFromUser: (user) => answer(`unlink ${user}`),
    linkToUsers: (users, menu) => answer(`bulk-link ${users.length} ${menu}`),
    unlinkFromUsers: (users) => answer(`bulk-unlink ${users.length}`),
  };
  return { api, calls };
}

function fakeRecords() {
  const recorded: Array<{ links: readonly RichMenuLinkState[]; menu: string }> = [];
  const records: LinkRichMenuRecords = {
    count: async () => 0,
    scan: async function* () {},
    record: async (links, menu) => void recorded.push({ links, menu }),
  };
  return { records, recorded };
}

function setup(
  settings: { linkedId?: string; unlinkedId?: string },
  answers?: Parameters<typeof fakeLine>[0],
) {
  const line = fakeLine(answers);
  const audit = new InMemoryAuditLog();
  const { records, recorded } = fakeRecords();
  const sleeps: number[] = [];
  const ports = {
    richMenus: line.api,
    audit,
    clock: frozenClock(),
    records,
    settings,
    retry: {
      attempts: 3,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      sleep: async (ms: number) => void sleeps.push(ms),
      random: () => 1,
    },
  };
  return { ports, calls: line.calls, audit, recorded, sleeps };
}

const created = { type: 'link.created' as const, lineUserId: 'U1', companyUserId: 'M1' };
const removed = { type: 'link.removed' as const, lineUserId: 'U1', companyUserId: 'M1' };

describe('switchRichMenu', () => {
  test('a new link gets the linked menu, recorded on the link and audited', async () => {
    const t = setup({ linkedId: LINKED, unlinkedId: UNLINKED });
    await expect(switchRichMenu(created, t.ports)).resolves.toBe('rich-menu-linked');
    expect(t.calls).toEqual([`link U1 ${LINKED}`]);
    expect(t.recorded).toEqual([{ links: [{ lineUserId: 'U1', companyUserId: 'M1' }], menu: LINKED }]);
    expect(t.audit.events).toEqual([
      {
        type: 'rich-menu',
        at: '2026-11-22T09:00:00.000Z',
        lineUserId: 'U1',
        companyUserId: 'M1',
        code: 'rich-menu-linked',
      },
    ]);
  });

  test('a removed link gets the unlinked menu, and nothing is recorded (the link is gone)', async () => {
    const t = setup({ linkedId: LINKED, unlinkedId: UNLINKED });
    await expect(switchRichMenu(removed, t.ports)).resolves.toBe('rich-menu-linked');
    expect(t.calls).toEqual([`link U1 ${UNLINKED}`]);
    expect(t.recorded).toEqual([]);
  });

  test('without an unlinked menu, a removed link loses its per-user menu (the default shows)', async () => {
    const t = setup({ linkedId: LINKED });
    await expect(switchRichMenu(removed, t.ports)).resolves.toBe('rich-menu-unlinked');
    expect(t.calls).toEqual(['unlink U1']);
    expect(t.audit.events.map((e) => e.code)).toEqual(['rich-menu-unlinked']);
  });

  test('without a linked menu, a new link loses its per-user menu, recorded as none', async () => {
    const t = setup({ unlinkedId: UNLINKED });
    await expect(switchRichMenu(created, t.ports)).resolves.toBe('rich-menu-unlinked');
    expect(t.calls).toEqual(['unlink U1']);
    expect(t.recorded.map((r) => r.menu)).toEqual([NO_RICH_MENU]);
  });

  test('with neither menu set, or a change that is not of link status, nothing happens', async () => {
    const off = setup({});
    await expect(switchRichMenu(created, off.ports)).resolves.toBe('none');
    const on = setup({ linkedId: LINKED });
    await expect(switchRichMenu({ ...created, type: 'link.reachability-changed' }, on.ports)).resolves.toBe(
      'none',
    );
    expect([...off.calls, ...on.calls]).toEqual([]);
    expect([...off.audit.events, ...on.audit.events]).toEqual([]);
  });

  test('429 / 5xx are tried again with growing waits, then succeed', async () => {
    const t = setup({ linkedId: LINKED }, ['unavailable', 'unavailable']);
    await expect(switchRichMenu(created, t.ports)).resolves.toBe('rich-menu-linked');
    expect(t.calls).toHaveLength(3);
    expect(t.sleeps).toEqual([100, 200]);
  });

  test('still unavailable after the last try: thrown for the stream to retry, nothing audited', async () => {
    const t = setup({ linkedId: LINKED }, ['unavailable', 'unavailable', 'unavailable']);
    await expect(switchRichMenu(created, t.ports)).rejects.toMatchObject({ code: 'line-unavailable' });
    expect(t.calls).toHaveLength(3);
    expect(t.audit.events).toEqual([]);
    expect(t.recorded).toEqual([]);
  });

  test('a final refusal (4xx) is audited as rich-menu-failed, not retried, not recorded', async () => {
    const t = setup({ linkedId: LINKED }, ['refused']);
    await expect(switchRichMenu(created, t.ports)).resolves.toBe('rich-menu-failed');
    expect(t.calls).toHaveLength(1);
    expect(t.recorded).toEqual([]);
    expect(t.audit.events.map((e) => e.code)).toEqual(['rich-menu-failed']);
  });
});

describe('withLineRetries', () => {
  test('waits are capped and jittered; other errors are thrown at once', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    await expect(
      withLineRetries(
        async () => {
          calls++;
          throw new UpstreamError('line', 'unavailable');
        },
        {
          attempts: 5,
          baseDelayMs: 300,
          maxDelayMs: 1000,
          sleep: async (ms) => void sleeps.push(ms),
          random: () => 0.5,
        },
      ),
    ).rejects.toBeInstanceOf(UpstreamError);
    expect(calls).toBe(5);
    expect(sleeps).toEqual([150, 300, 500, 500]);
    calls = 0;
    await expect(
      withLineRetries(
        async () => {
          calls++;
          throw new Error('boom');
        },
        { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 },
      ),
    ).rejects.toThrow('boom');
    expect(calls).toBe(1);
  });

  describe('a linked user who becomes a friend', () => {
    const befriended = {
      type: 'link.reachability-changed' as const,
      lineUserId: 'U1',
      companyUserId: 'M1',
      friend: true,
    };

    it('gets the linked menu when the link records none (LINE refused it before), and it is recorded', async () => {
      const { ports, calls, audit, recorded } = setup({ linkedId: LINKED, unlinkedId: UNLINKED });
      expect(await switchRichMenu(befriended, ports)).toBe('rich-menu-linked');
      expect(calls).toEqual([`link U1 ${LINKED}`]);
      expect(recorded).toEqual([{ links: [{ lineUserId: 'U1', companyUserId: 'M1' }], menu: LINKED }]);
      expect(audit.events.map((e) => e.code)).toEqual(['rich-menu-linked']);
    });

    it('changes nothing when the link records the linked menu already', async () => {
      const { ports, calls, audit } = setup({ linkedId: LINKED, unlinkedId: UNLINKED });
      expect(await switchRichMenu({ ...befriended, recordedMenu: LINKED }, ports)).toBe('none');
      expect(calls).toEqual([]);
      expect(audit.events).toEqual([]);
    });

    it('an unfollow changes nothing', async () => {
      const { ports, calls } = setup({ linkedId: LINKED, unlinkedId: UNLINKED });
      expect(await switchRichMenu({ ...befriended, friend: false }, ports)).toBe('none');
      expect(calls).toEqual([]);
    });
  });
});
