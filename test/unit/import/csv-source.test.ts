import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import {
  applyColumnMap,
  guessDelimiter,
  parseColumnMap,
} from '../../../functions/adapters/csv/column-map.js';
import { describeReadError, openCsvText, parseEncoding } from '../../../functions/import/csv-source.js';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'csv-source-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function text(path: string, encoding: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of openCsvText(path, encoding)) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

describe('reading company files', () => {
  test('--encoding names: Shift_JIS spellings all mean CP932; unknown names list the choices', () => {
    expect(['shift_jis', 'Shift-JIS', 'sjis', 'cp932', 'windows-31j'].map(parseEncoding)).toEqual(
      Array(5).fill('cp932'),
    );
    expect(parseEncoding('UTF8')).toBe('utf-8');
    expect(() => parseEncoding('klingon')).toThrow(
      /unknown encoding "klingon": use utf-8 \(the default\), shift_jis/,
    );
  });

  test('CP932 text (with Microsoft’s extra characters) decodes to the same UTF-8', async () => {
    const file = join(dir, 'cp932.csv');
    const original = '会員番号,氏名\nM-1,㈱髙橋①\n';
    writeFileSync(file, iconv.encode(original, 'cp932'));
    expect(await text(file, parseEncoding('shift_jis'))).toBe(original);
  });

  test('UTF-8 passes unchanged; a Shift_JIS byte fails with the line and the hint', async () => {
    const good = join(dir, 'good.csv');
    writeFileSync(good, '\uFEFFmemberId\nM-1 東京\n');
    expect(await text(good, 'utf-8')).toBe('\uFEFFmemberId\nM-1 東京\n');
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, Buffer.concat([Buffer.from('a\nb\n'), iconv.encode('東京\n', 'cp932')]));
    await expect(text(bad, 'utf-8')).rejects.toThrow(/^line 3: the file is not UTF-8.*--encoding shift_jis/);
  });

  test('file-system errors in words', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(describeReadError(err('ENOENT'), 'm.csv', '/x/m.csv')).toBe(
      'cannot read m.csv: there is no such file (looked for /x/m.csv)',
    );
    expect(describeReadError(err('EACCES'), 'm.csv', '/x/m.csv')).toBe(
      "cannot read m.csv: permission denied (check the file's permissions, e.g. ls -l /x/m.csv)",
    );
    expect(describeReadError(err('EISDIR'), 'm', '/x/m')).toBe('cannot read m: it is a folder, not a file');
  });
});

describe('--columns and delimiters', () => {
  test('maps the file’s header names to ours', () => {
    const map = parseColumnMap('memberId=会員番号, birthDate=生年月日');
    expect(applyColumnMap(['会員番号', '氏名', '生年月日'], map)).toEqual(['memberId', '氏名', 'birthDate']);
  });

  test('a header column already named like a mapped one is moved out of the way', () => {
    const map = parseColumnMap('memberId=会員番号');
    expect(applyColumnMap(['memberId', '会員番号'], map)).toEqual(['(unmapped) memberId', 'memberId']);
  });

  test('refuses unknown targets, duplicates and malformed pairs', () => {
    expect(() => parseColumnMap('name=氏名')).toThrow(/unknown column name/);
    expect(() => parseColumnMap('memberId=a,memberId=b')).toThrow(/mapped twice/);
    expect(() => parseColumnMap('memberId')).toThrow(/is not ourName=fileColumn/);
  });

  test('guesses the delimiter of a one-column header', () => {
    expect(guessDelimiter(['memberId;birthDate;postalCode'])).toEqual({ char: ';', name: 'semicolon' });
    expect(guessDelimiter(['memberId\tbirthDate'])).toEqual({ char: '\t', name: 'tab' });
    expect(guessDelimiter(['memberId'])).toBeUndefined();
    expect(guessDelimiter(['a', 'b'])).toBeUndefined();
  });
});
