import { ERROR_TABLE, type ErrorCode } from '../../../functions/handlers/http/error-table.js';
import { backticked, readDoc, section, tableRows } from '../../support/markdown-tables.js';

/**
 * The README's error table is the error table (functions/handlers/http/error-table.ts) for
 * readers: one row per code, with its status and what it means, and no code the service never
 * sends. `internal-error` is the one code outside the table (an unknown error).
 */
const README_ROWS = tableRows(section(readDoc('README.md'), '## HTTP API')).filter((row) =>
  /^`[a-z]+(-[a-z]+)+`$/.test(row.cells[0] ?? ''),
);
const documented = new Map(README_ROWS.map((row) => [backticked(row.cells[0]!)[0]!, row]));
const CODES = { ...ERROR_TABLE, 'internal-error': { status: 500 } } as Record<
  ErrorCode | 'internal-error',
  { status: number }
>;

describe("the README's error table matches functions/handlers/http/error-table.ts", () => {
  test.each(Object.entries(CODES))('%s: a row with its status and meaning', (code, { status }) => {
    const row = documented.get(code);
    if (!row)
      throw new Error(
        `README.md's error table (under "## HTTP API") has no row for \`${code}\` (status ${status}): add "| \`${code}\` | ${status} | <what it means> |".`,
      );
    expect({ code, status: row.cells[1] }).toEqual({ code, status: String(status) });
    expect(row.cells[2]?.length ?? 0).toBeGreaterThan(10);
  });

  test('no row for a code the service does not send, and each code once', () => {
    const extra = README_ROWS.map((row) => backticked(row.cells[0]!)[0]!).filter((code) => !(code in CODES));
    expect({ 'codes in README.md but not in error-table.ts': extra }).toEqual({
      'codes in README.md but not in error-table.ts': [],
    });
    expect(README_ROWS).toHaveLength(documented.size);
  });
});
