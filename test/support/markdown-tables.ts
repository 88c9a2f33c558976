import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The project's root folder. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A documentation file's text (path from the project root). */
export function readDoc(path: string): string {
  return readFileSync(new URL(path, `file://${ROOT}`), 'utf8');
}

/** One body row of a Markdown table: its cells, trimmed, `\|` unescaped, and its line number. */
export interface TableRow {
  cells: string[];
  line: number;
}

/** The body rows of every Markdown table in `text` (header and delimiter rows left out). */
export function tableRows(text: string): TableRow[] {
  const lines = text.split('\n');
  const rows: TableRow[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith('|')) continue;
    // The delimiter row, and the header row just above it.
    if (/^\|[\s:|-]+\|$/.test(line) || /^\|[\s:|-]+\|$/.test(lines[i + 1] ?? '')) continue;
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replace(/\\\|/g, '|'));
    rows.push({ cells, line: i + 1 });
  }
  return rows;
}

/** The part of `text` from the heading `heading` (a whole line) to the next heading of its level or above. */
export function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`No heading "${heading}".`);
  const level = /^#+/.exec(heading)![0].length;
  const rest = text.slice(start + heading.length + 2);
  const next = new RegExp(`\\n#{1,${level}} `).exec(rest);
  return rest.slice(0, next ? next.index : undefined);
}

/** The names in backticks of a cell (`` `A` / `B` (`_ARN`) `` → A, B, _ARN). */
export function backticked(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}
