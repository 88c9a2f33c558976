import { Readable } from 'node:stream';
import { readMemberCsv } from '../../../../functions/adapters/csv/member-csv-file.js';
import { ImportFileError } from '../../../../functions/core/member-file.js';
import type {
  ImportedMember as StoredMember,
  MemberImportStore,
} from '../../../../functions/core/ports/index.js';
import {
  ImportAbortedError,
  importMembers,
  type ImportCheckpointState,
  type ImportMembersOptions,
  type RejectedRow,
} from '../../../../functions/core/use-cases/import-members.js';
import { fakeHasher } from '../../../support/member-fakes.js';

/** The members table in memory, counting requests. */
class MemoryStore implements MemberImportStore {
  readonly items = new Map<string, StoredMember & { importedAt: string }>();
  gets = 0;
  puts = 0;
  putItems = 0;
  deletes = 0;
  /** Sizes of the store's delete calls, in order. */
  deleteCalls: number[] = [];
  inFlight = 0;
  maxInFlight = 0;

  private async request<T>(fn: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 1));
    this.inFlight--;
    return fn();
  }
  async contentHashes(ids: readonly string[]) {
    this.gets++;
    return this.request(
      () =>
        new Map(ids.filter((id) => this.items.has(id)).map((id) => [id, this.items.get(id)!.contentHash])),
    );
  }
  async putMembers(members: readonly StoredMember[], importedAt: string) {
    this.puts++;
    this.putItems += members.length;
    await this.request(() => members.forEach((m) => this.items.set(m.memberId, { ...m, importedAt })));
  }
  async deleteMembers(ids: readonly string[]) {
    this.deletes += ids.length;
    this.deleteCalls.push(ids.length);
    await this.request(() => ids.forEach((id) => this.items.delete(id)));
  }
  async *scanMemberIds(segment: number, total: number) {
    const ids = [...this.items.keys()].filter((_, i) => i % total === segment);
    for (let i = 0; i < ids.length; i += 7) yield ids.slice(i, i + 7);
  }
  async hasMembers() {
    return this.items.size > 0;
  }
}

const HEADER = 'memberId,birthDate,postalCode,phone,name';
const row = (i: number, birth = '1990-04-12') =>
  `M-${String(i).padStart(6, '0')},${birth},100-0001,090-1234-5678,Name ${i}`;
const csv = (lines: string[]) => Readable.from([`${lines.join('\n')}\n`]);

function run(store: MemoryStore, text: Readable, extra: Partial<ImportMembersOptions> = {}) {
  const rejects: RejectedRow[] = [];
  // The CSV adapter parses the text; the use case gets its records.
  const result = importMembers(readMemberCsv(text), {
    store,
    hasher: fakeHasher,
    requiredFactors: ['birthDate', 'postalCode'],
    onReject: (r) => void rejects.push(r),
    ...extra,
  });
  return { result, rejects };
}

describe('importMembers', () => {
  test('stores hashed, normalized factors and the company user ID; ignores other columns', async () => {
    const store = new MemoryStore();
    const { result } = run(
      store,
      csv([
        `${HEADER},companyUserId`,
        'M-1,１９９０/4/12,〒100-0001,,Hanako,C-1',
        'M-2,19851103,5300001,080-2345-6789,Ichiro,',
      ]),
    );
    const summary = await result;
    expect(summary).toMatchObject({
      read: 2,
      written: 2,
      unchanged: 0,
      rejected: 0,
      deleted: 0,
      ignoredColumns: ['phone', 'name'],
    });
    expect(store.items.get('M-1')).toMatchObject({
      memberId: 'M-1',
      companyUserId: 'C-1',
      factorHashes: { birthDate: 'h(M-1|birthDate|1990-04-12)', postalCode: 'h(M-1|postalCode|1000001)' },
    });
    expect(store.items.get('M-2')).toMatchObject({ companyUserId: 'M-2' });
    // Only the factors of MEMBER_FACTORS are kept (data minimization): no phone hash, no name.
    expect(JSON.stringify([...store.items.values()])).not.toMatch(/Hanako|Ichiro|phone/);
  });

  test('bad rows are rejected with their line number and reason; the others are imported', async () => {
    const store = new MemoryStore();
    const { result, rejects } = run(
      store,
      csv([
        HEADER,
        row(1),
        'M-2,1990-02-30,1000001,,x', // impossible date
        ',1990-04-12,1000001,,x', // no memberId
        'M-4,1990-04-12,,,x', // required factor empty
        'M-5,1990-04-12,1000001', // too few fields
        '"M-6","1990-04-12","100',
        '0001",,"multi-line"', // a quoted field spanning lines is fine
        row(1, '1991-01-01'), // duplicate memberId
        'M-8,1990-04-12,1000001,12,x', // a factor this deployment does not use: ignored, not checked
        '',
        row(9),
      ]),
    );
    const summary = await result;
    expect(summary).toMatchObject({ read: 9, written: 4, rejected: 5 });
    expect(rejects).toEqual([
      {
        line: 3,
        memberId: 'M-2',
        reason: 'birthDate is not a valid date (use YYYY-MM-DD, YYYYMMDD or YYYY/M/D)',
      },
      { line: 4, reason: 'memberId is missing' },
      { line: 5, memberId: 'M-4', reason: 'postalCode is missing' },
      { line: 6, reason: 'has 3 fields, the header has 5' },
      { line: 9, memberId: 'M-000001', reason: expect.stringMatching(/^duplicate memberId/) },
    ]);
    expect([...store.items.keys()].sort()).toEqual(['M-000001', 'M-000009', 'M-6', 'M-8']);
    expect(store.items.get('M-000001')!.factorHashes.birthDate).toContain('1990-04-12'); // the first row won
    expect(JSON.stringify(rejects)).not.toContain('1990-02-30');
  });

  test('a file without a required column is refused as a whole, naming the column', async () => {
    const store = new MemoryStore();
    await expect(run(store, csv(['memberId,birthDate', 'M-1,1990-04-12'])).result).rejects.toThrow(
      new ImportFileError(
        'the header lacks required column postalCode (memberId and the factors of MEMBER_FACTORS=birthDate,postalCode)',
        1,
      ),
    );
    expect(store.items.size).toBe(0);
  });

  test('a broken CSV stops with the line, without quoting the data', async () => {
    const store = new MemoryStore();
    const error = await run(store, csv([HEADER, row(1), 'M-2,"1990-04-12"x,1000001,,y'])).result.catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportFileError);
    expect((error as Error).message).toMatch(/^line 3: malformed CSV/);
    expect((error as Error).message).not.toContain('1990');
  });

  test('a re-import writes only the rows whose content changed', async () => {
    const store = new MemoryStore();
    const lines = [HEADER, ...Array.from({ length: 250 }, (_, i) => row(i))];
    await run(store, csv(lines), { now: () => new Date('2026-01-01T00:00:00Z') }).result;
    expect(store.gets).toBe(0); // first import into an empty table: no reads
    lines[10] = row(9, '1970-01-01');
    lines[200] = row(199, '1970-01-01');
    store.putItems = 0;
    const summary = await run(store, csv(lines), { now: () => new Date('2026-02-01T00:00:00Z') }).result;
    expect(summary).toMatchObject({ read: 250, written: 2, unchanged: 248 });
    expect(store.putItems).toBe(2);
    const stamped = [...store.items.values()].filter((m) => m.importedAt.startsWith('2026-02'));
    expect(stamped.map((m) => m.memberId).sort()).toEqual(['M-000009', 'M-000199']);
  });

  test('--delete-missing removes the members absent from the file (and keeps rejected rows’ members)', async () => {
    const store = new MemoryStore();
    await run(store, csv([HEADER, ...Array.from({ length: 60 }, (_, i) => row(i))])).result;
    const kept = [HEADER, ...Array.from({ length: 40 }, (_, i) => row(i)), 'M-000050,1990-02-30,1000001,,x'];
    const summary = await run(store, csv(kept), { deleteMissing: true, concurrency: 3 }).result;
    expect(summary).toMatchObject({ unchanged: 40, rejected: 1, deleted: 19 });
    expect(store.items.size).toBe(41);
    expect(store.items.has('M-000050')).toBe(true);
    expect(store.items.has('M-000045')).toBe(false);
  });

  test('hands the store whole batches: how many items one request holds is the store’s business', async () => {
    const store = new MemoryStore();
    await run(store, csv([HEADER, ...Array.from({ length: 250 }, (_, i) => row(i))])).result;
    expect(store.puts).toBe(3); // batches of 100, 100 and 50 rows, each one call
    expect(store.putItems).toBe(250);
    const summary = await run(store, csv([HEADER, row(0)]), { deleteMissing: true, concurrency: 1 }).result;
    expect(summary).toMatchObject({ deleted: 249 });
    expect(store.deleteCalls).toEqual([100, 100, 49]);
  });

  test('--delete-missing refuses a file without a single valid row', async () => {
    const store = new MemoryStore();
    await run(store, csv([HEADER, row(1)])).result;
    await expect(
      run(store, csv([HEADER, 'M-1,bad,1000001,,x']), { deleteMissing: true }).result,
    ).rejects.toThrow(/no valid row/);
    expect(store.items.size).toBe(1);
  });

  test('keeps at most `concurrency` requests in flight', async () => {
    const store = new MemoryStore();
    await run(store, csv([HEADER, ...Array.from({ length: 3000 }, (_, i) => row(i))]), { concurrency: 4 })
      .result;
    expect(store.items.size).toBe(3000);
    expect(store.maxInFlight).toBe(4);
  });

  test('an interrupted import saves its checkpoint and resumes after the committed rows', async () => {
    const store = new MemoryStore();
    const lines = [HEADER, ...Array.from({ length: 2000 }, (_, i) => row(i)), 'M-X,bad,1,,x'];
    const controller = new AbortController();
    const saved: ImportCheckpointState[] = [];
    const first = run(store, csv(lines), {
      concurrency: 2,
      signal: controller.signal,
      checkpoint: { save: async (s) => void saved.push(s) },
      checkpointEveryMs: 0,
      onProgress: (p) => {
        if (p.read >= 500) controller.abort();
      },
    });
    await expect(first.result).rejects.toBeInstanceOf(ImportAbortedError);
    const last = saved.at(-1)!;
    expect(last.doneRows).toBeGreaterThanOrEqual(500);
    expect(last.doneRows).toBeLessThan(2000);
    expect(last.doneRows % 100).toBe(0);
    expect(last.counts.read).toBe(last.doneRows);
    expect(store.items.size).toBeGreaterThanOrEqual(last.doneRows); // batches after the checkpoint may be written too

    store.gets = 0;
    const second = run(store, csv(lines), { checkpoint: { resume: last, save: async () => undefined } });
    const summary = await second.result;
    expect(summary).toMatchObject({ read: 2001, rejected: 1, resumedAfter: last.doneRows });
    expect(summary.written + summary.unchanged).toBe(2000);
    expect(store.items.size).toBe(2000);
    expect(store.gets).toBe(Math.ceil((2000 - last.doneRows) / 100)); // only the rest was looked at (the last batch is a reject)
    expect(second.rejects).toEqual([{ line: 2002, reason: expect.any(String), memberId: 'M-X' }]);
  });

  test('a resumed import still refuses duplicates of rows done before the interruption', async () => {
    const store = new MemoryStore();
    const lines = [HEADER, row(1), row(2), row(1)];
    const { result, rejects } = run(store, csv(lines), {
      checkpoint: {
        resume: { doneRows: 2, counts: { read: 2, written: 2, unchanged: 0, rejected: 0, deleted: 0 } },
        save: async () => undefined,
      },
    });
    expect(await result).toMatchObject({ read: 3, written: 2, rejected: 1 });
    expect(rejects[0]!.reason).toMatch(/duplicate/);
  });
});
