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

/** One field, quoted when needed; `undefined` is an empty field. */
export function csvField(value: string | undefined): string {
  return csvRecord([value]).slice(0, -2);
}

/** One record, CRLF-terminated. */
export function csvRecord(values: ReadonlyArray<string | undefined>): string {
  return stringify([values.map((v) => v ?? '')], OPTIONS);
}
