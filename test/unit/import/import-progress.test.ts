import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { readMemberCsv } from '../../../functions/adapters/csv/member-csv-file.js';
import type { ImportedMember, MemberImportStore } from '../../../functions/core/ports/index.js';
import { importMembers } from '../../../functions/core/use-cases/import-members.js';
import { openCsvText } from '../../../functions/import/csv-source.js';
import {
  countDataRows,
  ImportProgressDisplay,
  type ProgressBar,
} from '../../../functions/import/import-progress.js';
import { fakeHasher } from '../../support/member-fakes.js';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'import-progress-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A members table that counts the rows written, each write taking a random few milliseconds. */
class SlowStore implements MemberImportStore {
  written = 0;
  async contentHashes() {
    return new Map<string, string>();
  }
  async putMembers(members: readonly ImportedMember[]) {
    await new Promise((r) => setTimeout(r, 1 + Math.floor(Math.random() * 4)));
    this.written += members.length;
  }
  async deleteMembers() {}
  async *scanMemberIds() {}
  async hasMembers() {
    return false;
  }
}

/** What the bar was told, with what the store had written at that moment. */
class FakeBar implements ProgressBar {
  total = 0;
  readonly shown: Array<{ value: number; written: number }> = [];
  stopped = false;
  constructor(private readonly store: SlowStore) {}
  start(total: number) {
    this.total = total;
  }
  update(value: number) {
    this.shown.push({ value, written: this.store.written });
  }
  stop() {
    this.stopped = true;
  }
}

describe('npm run import: the progress bar follows the rows written', () => {
  test('5,000 rows: never ahead of the store, never behind by more than a batch, 100 % only at the end', async () => {
    const rows = 5000;
    const path = join(dir, 'members.csv');
    // Quoted line breaks in a column the import ignores: records, not lines, are counted.
    const body = Array.from(
      { length: rows },
      (_, i) => `M-${String(i).padStart(6, '0')},1990-04-12,100-0001,"note\nline ${i}"`,
    );
    writeFileSync(path, `memberId,birthDate,postalCode,note\n${body.join('\n')}\n\n`);
    const open = () => readMemberCsv(openCsvText(path, 'utf-8'));
    const totalRows = await countDataRows(open());
    expect(totalRows).toBe(rows);

    const store = new SlowStore();
    const bar = new FakeBar(store);
    let clock = 0;
    const display = new ImportProgressDisplay({
      totalRows,
      enabled: true,
      stream: Object.assign(new PassThrough(), { isTTY: true }),
      bar,
      now: () => (clock += 50),
    });
    const summary = await importMembers(open(), {
      store,
      hasher: fakeHasher,
      requiredFactors: ['birthDate', 'postalCode'],
      concurrency: 8,
      batchSize: 100,
      onProgress: (p) => display.update(p),
    });
    display.stop();

    expect(summary.written).toBe(rows);
    expect(bar.total).toBe(rows);
    expect(bar.stopped).toBe(true);
    expect(bar.shown.length).toBeGreaterThanOrEqual(rows / 100);
    for (const { value, written } of bar.shown) {
      expect(value).toBeLessThanOrEqual(written);
      expect(written - value).toBeLessThanOrEqual(100);
    }
    const full = bar.shown.findIndex((s) => s.value === rows);
    expect(full).toBeGreaterThan(-1);
    expect(bar.shown[full]!.written).toBe(rows);
    expect(bar.shown.slice(0, full).every((s) => s.value < rows)).toBe(true);
  });

  test('no bar off a terminal or with --no-progress; a line every 10 s off a terminal', () => {
    let out = '';
    const stream = Object.assign(new PassThrough(), { isTTY: false });
    stream.on('data', (d: Buffer) => (out += d.toString()));
    let clock = 0;
    const bar = new FakeBar(new SlowStore());
    const display = new ImportProgressDisplay({
      totalRows: 10,
      enabled: true,
      stream,
      bar,
      now: () => clock,
    });
    const progress = {
      read: 5,
      written: 5,
      unchanged: 0,
      rejected: 0,
      deleted: 0,
      bytes: 0,
      parsed: 6,
      done: 5,
    };
    clock = 9_000;
    display.update({ ...progress, phase: 'rows' });
    clock = 10_000;
    display.update({ ...progress, phase: 'rows' });
    expect(bar.shown).toEqual([]);
    expect(out).toBe('… 5 rows (1 rows/s), written 5, unchanged 0, rejected 0\n');

    const off = new ImportProgressDisplay({
      totalRows: 10,
      enabled: false,
      stream: Object.assign(new PassThrough(), { isTTY: true }),
      bar,
      now: () => clock,
    });
    off.update({ ...progress, phase: 'rows' });
    expect(bar.shown).toEqual([]);
  });

  test('countDataRows: a file the reader refuses counts the rows before the problem', async () => {
    const path = join(dir, 'broken.csv');
    writeFileSync(path, 'memberId,birthDate\nM-1,1990-01-01\nM-2,"1990-01-02\n');
    expect(await countDataRows(readMemberCsv(openCsvText(path, 'utf-8')))).toBe(1);
  });
});
