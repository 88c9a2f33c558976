import { parse } from 'csv-parse/sync';
import { csvField, csvRecord, UTF8_BOM } from '../../../functions/export/csv.js';

describe('CSV writing', () => {
  const tricky = [
    'plain',
    'comma, inside',
    'a "quoted" word',
    'line one\nline two',
    'crlf\r\nline',
    '佐藤 花子',
    '',
    ' leading and trailing ',
    '"',
    'emoji 🎉, and "all", of it\n',
  ];

  it('quotes only fields that need it, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(undefined)).toBe('');
    expect(csvRecord(['a', undefined, 'c'])).toBe('a,,c\r\n');
  });

  it('round-trips every tricky value through a standard CSV parser', () => {
    const text = tricky.map((v, i) => csvRecord([String(i), v])).join('');
    const rows = parse(text, { relax_column_count: false }) as string[][];
    expect(rows).toEqual(tricky.map((v, i) => [String(i), v]));
  });

  it('parses with the optional BOM', () => {
    const rows = parse(UTF8_BOM + csvRecord(['名前', 'x']), { bom: true }) as string[][];
    expect(rows).toEqual([['名前', 'x']]);
  });
});
