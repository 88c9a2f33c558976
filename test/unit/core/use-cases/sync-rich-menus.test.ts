import {
  NO_RICH_MENU,
  type LinkRichMenuRecords,
  type RichMenuApi,
  type RichMenuLinkState,
} from '../../../../functions/core/ports/index.js';
import { syncRichMenus } from '../../../../functions/core/use-cases/sync-rich-menus.js';
import { UpstreamError } from '../../../../functions/core/errors.js';

const LINKED = `richmenu-${'a'.repeat(32)}`;

/** Links kept in memory, scanned in pages of `pageSize`, with the menu each was recorded with. */
function memoryRecords(count: number, pageSize = 300) {
  const links = new Map<string, RichMenuLinkState>();
  for (let i = 0; i < count; i++) {
    const lineUserId = `U${String(i).padStart(32, '0')}`;
    links.set(lineUserId, { lineUserId, companyUserId: `M${i}` });
  }
  const records: LinkRichMenuRecords = {
    count: async () => links.size,
    scan: async function* () {
      const all = [...links.values()].map((l) => ({ ...l }));
      for (let i = 0; i < all.length; i += pageSize) yield all.slice(i, i + pageSize);
    },
    record: async (batch, menu) => {
      for (const link of batch) links.get(link.lineUserId)!.richMenuId = menu;
    },
  };
  return { records, links };
}

function recordingLine(fail: number[] = []) {
  const calls: Array<{ kind: string; users: number; menu?: string }> = [];
  const api: RichMenuApi = {
    linkToUser: async () => undefined,
    unlinkFromUser: async () => undefined,
    linkToUsers: async (users, menu) => {
      calls.push({ kind: 'link', users: users.length, menu });
      if (fail.includes(calls.length)) throw new UpstreamError('line', 'unavailable');
    },
    unlinkFromUsers: async (users) => void calls.push({ kind: 'unlink', users: users.length }),
  };
  return { api, calls };
}

const noWait = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined };

describe('syncRichMenus', () => {
  test('bulk links every link in requests of at most 500 users, then a re-run sends nothing', async () => {
    const { records, links } = memoryRecords(1203);
    const line = recordingLine();
    const progress: number[] = [];
    const first = await syncRichMenus({
      records,
      richMenus: line.api,
      linkedId: LINKED,
      retry: noWait,
      onProgress: (seen) => progress.push(seen),
    });
    expect(first).toEqual({ links: 1203, switched: 1203, alreadyInLine: 0, requests: 3 });
    expect(line.calls.map((c) => c.users)).toEqual([500, 500, 203]);
    expect(line.calls.every((c) => c.menu === LINKED)).toBe(true);
    expect([...links.values()].every((l) => l.richMenuId === LINKED)).toBe(true);
    expect(progress.at(-1)).toBe(1203);

    const again = await syncRichMenus({ records, richMenus: line.api, linkedId: LINKED, retry: noWait });
    expect(again).toEqual({ links: 1203, switched: 0, alreadyInLine: 1203, requests: 0 });
    expect(line.calls).toHaveLength(3);
  });

  test('only links not recorded with the menu are sent; a failed request stops the run, the rest is done next time', async () => {
    const { records, links } = memoryRecords(1000);
    [...links.values()].slice(0, 400).forEach((l) => (l.richMenuId = LINKED));
    const failing = recordingLine([2, 3, 4]);
    await expect(
      syncRichMenus({ records, richMenus: failing.api, linkedId: LINKED, retry: noWait }),
    ).rejects.toMatchObject({ code: 'line-unavailable' });
    expect([...links.values()].filter((l) => l.richMenuId === LINKED)).toHaveLength(900);
    const line = recordingLine();
    const rest = await syncRichMenus({ records, richMenus: line.api, linkedId: LINKED, retry: noWait });
    expect(rest).toMatchObject({ switched: 100, alreadyInLine: 900, requests: 1 });
  });

  test('without a linked menu, linked users lose their per-user menus (bulk unlink)', async () => {
    const { records, links } = memoryRecords(3);
    const line = recordingLine();
    await syncRichMenus({ records, richMenus: line.api, retry: noWait });
    expect(line.calls).toEqual([{ kind: 'unlink', users: 3 }]);
    expect([...links.values()].every((l) => l.richMenuId === NO_RICH_MENU)).toBe(true);
  });
});
