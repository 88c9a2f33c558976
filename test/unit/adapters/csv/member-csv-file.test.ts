import { Readable } from 'node:stream';
import { readMemberCsv } from '../../../../functions/adapters/csv/member-csv-file.js';
import { ImportFileError } from '../../../../functions/core/member-file.js';
import type { MemberFileRecord } from '../../../../functions/core/ports/index.js';

async function records(text: string, options: Parameters<typeof readMemberCsv>[1] = {}) {
  const file = readMemberCsv(Readable.from([text]), options);
  const all: MemberFileRecord[] = [];
  for await (const chunk of file) all.push(...chunk);
  return { all, bytes: file.bytesRead };
}

describe('readMemberCsv', () => {
  test('records with the line they start on; empty lines left out; a BOM dropped', async () => {
    const text = '\uFEFFmemberId,note\n\nM-1,"two\nlines"\nM-2,x\n';
    const { all, bytes } = await records(text);
    expect(all).toEqual([
      { fields: ['memberId', 'note'], line: 1 },
      { fields: ['M-1', 'two\nlines'], line: 3 },
      { fields: ['M-2', 'x'], line: 5 },
    ]);
    expect(bytes).toBe(Buffer.byteLength(text));
  });

  test('the column map renames the header only; the delimiter is the one given', async () => {
    const { all } = await records('会員番号;x\nM-1;会員番号\n', {
      delimiter: ';',
      columns: new Map([['memberId', '会員番号']]),
    });
    expect(all.map((r) => r.fields)).toEqual([
      ['memberId', 'x'],
      ['M-1', '会員番号'],
    ]);
  });

  test('a one-column header with another separator in it asks for --delimiter', async () => {
    await expect(records('memberId;birthDate\nM-1;1990-01-01\n')).rejects.toThrow(
      new ImportFileError(
        "found one column; is the file semicolon-separated? The import reads comma-separated files (npm run import takes --delimiter ';' for others)",
        1,
      ),
    );
  });

  test('broken quoting is an ImportFileError with the kind of problem, never the value', async () => {
    const error = await records('memberId,x\nM-1,"secret\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportFileError);
    expect((error as Error).message).toMatch(/malformed CSV: a quoted field is never closed/);
    expect((error as Error).message).not.toContain('secret');
  });

  test('stopping early releases the source', async () => {
    const source = Readable.from(
      (function* () {
        yield 'memberId,x\n';
        for (let i = 0; i < 100_000; i++) yield `M-${i},x\n`;
      })(),
    );
    for await (const chunk of readMemberCsv(source)) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(source.destroyed).toBe(true);
  });
});
