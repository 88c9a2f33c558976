import { stringify } from 'csv-stringify/sync';

/**
 * CSV as RFC 4180 writes it, which is also what Excel, Google Sheets, pandas and Athena read:
 * fields separated by commas, records ended by CRLF, and a field quoted (with its quotes doubled)
 * when it contains a comma, a quote, CR or LF — written by `csv-stringify`, the writing half of
 * the `csv-parse` project the import uses. Text is UTF-8; the optional byte order mark makes
 * Excel on Windows detect UTF-8 (Japanese names and other non-ASCII text survive).
 */

/** UTF-8 byte order mark, for `--bom` (Excel). */
export const UTF8_BOM = '\uFEFF';

const OPTIONS = { record_delimiter: 'windows', quoted_match: /[\r\n]/ } as const;

/**
 * First characters that make Excel, LibreOffice and Google Sheets read a cell as a formula (or,
 * for tab and CR, hide one behind whitespace): OWASP "CSV Injection", CWE-1236.
 */
const FORMULA_TRIGGER = /^[=+\-@\t\r]/;

/** How fields are written. */
export interface CsvOptions {
  /**
   * Prefix a field that starts with a formula trigger (`=`, `+`, `-`, `@`, tab, CR) with a
   * single quote, so a spreadsheet shows it as text instead of running it (default true; the
   * OWASP CSV Injection advice). Turn it off only for files that no spreadsheet opens: the
   * field is then written exactly as stored.
   */
  neutralizeFormulas?: boolean;
}

/** The text a spreadsheet shows for `value`: as is, or with `'` in front when it would be a formula. */
export function neutralizeFormula(value: string): string {
  return FORMULA_TRIGGER.test(value) ? `'${value}` : value;
}

/** One field, quoted when needed; `undefined` is an empty field. */
export function csvField(value: string | undefined, options: CsvOptions = {}): string {
  return csvRecord([value], options).slice(0, -2);
}

/** One record, CRLF-terminated. */
export function csvRecord(values: ReadonlyArray<string | undefined>, options: CsvOptions = {}): string {
  const guard = options.neutralizeFormulas ?? true;
  return stringify([values.map((v) => (v === undefined ? '' : guard ? neutralizeFormula(v) : v))], OPTIONS);
}
