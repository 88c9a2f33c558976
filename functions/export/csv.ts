/**
 * CSV as RFC 4180 writes it, which is also what Excel, Google Sheets, pandas and Athena read:
 * fields separated by commas, records ended by CRLF, and a field quoted (with its quotes doubled)
 * when it contains a comma, a quote, CR or LF. Text is UTF-8; the optional byte order mark makes
 * Excel on Windows detect UTF-8 (Japanese names and other non-ASCII text survive).
 *
 * Written by hand rather than with a library: writing (unlike parsing) is these few lines, and
 * the export's hot loop stays allocation-light. The tests read the output back with `csv-parse`.
 */

/** UTF-8 byte order mark, for `--bom` (Excel). */
export const UTF8_BOM = '\uFEFF';

const NEEDS_QUOTES = /[",\r\n]/;

/** One field; `undefined` is an empty field. */
export function csvField(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One record, CRLF-terminated. */
export function csvRecord(values: ReadonlyArray<string | undefined>): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += csvField(values[i]);
  }
  return `${line}\r\n`;
}
