/**
 * Escapes text for HTML element content and quoted attribute values: every character that can
 * end a text run or an attribute value (`& < > " '`), plus the backtick and `=`, which old
 * browsers treated as attribute delimiters in unquoted values (OWASP XSS Prevention Cheat Sheet,
 * rule 1: https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html).
 * The one escaper of every HTML producer: the service's browser pages and the dev-only emulators'.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}
