/**
 * Spreadsheet formula injection (CSV injection, https://owasp.org/www-community/attacks/CSV_Injection):
 * a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return may be run as a formula
 * by Excel or Google Sheets. Such a cell is prefixed with `'`, which spreadsheets show as text.
 *
 * Minimal helper for the send report; a shared one for every CSV writer is planned in csv.ts.
 */
export function neutralizeCsvCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
