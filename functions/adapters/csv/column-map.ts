import { MEMBER_FACTOR_NAMES } from '../../core/member-factors.js';
import { ImportFileError } from '../../core/member-file.js';

/** The columns `--columns` can map to. */
export const MAPPABLE_COLUMNS = ['memberId', 'companyUserId', ...MEMBER_FACTOR_NAMES] as const;

/** Our column name → the file's header name. */
export type ColumnMap = ReadonlyMap<string, string>;

/**
 * Parses `--columns memberId=会員番号,birthDate=生年月日`: which header of the company's file holds
 * each of our columns, so an export can be imported as it is, without renaming its header.
 */
export function parseColumnMap(spec: string): ColumnMap {
  const map = new Map<string, string>();
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const ours = eq < 0 ? '' : part.slice(0, eq).trim();
    const theirs = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!ours || !theirs) {
      throw new ImportFileError(
        `--columns: "${part.trim()}" is not ourName=fileColumn (e.g. memberId=会員番号)`,
      );
    }
    const known = MAPPABLE_COLUMNS.find((c) => c.toLowerCase() === ours.toLowerCase());
    if (!known)
      throw new ImportFileError(`--columns: unknown column ${ours} (one of ${MAPPABLE_COLUMNS.join(', ')})`);
    if (map.has(known)) throw new ImportFileError(`--columns: ${known} is mapped twice`);
    map.set(known, theirs);
  }
  return map;
}

/**
 * The header row with the mapped columns renamed to ours. A mapped column the header lacks is
 * an error that lists what the header has; a header column already named like one of ours that
 * is mapped elsewhere is renamed out of the way, so it cannot be read by mistake.
 */
export function applyColumnMap(header: readonly string[], map: ColumnMap): string[] {
  if (map.size === 0) return [...header];
  const normalize = (s: string) => s.normalize('NFKC').trim();
  const renamed = header.map((name) => name);
  const targets = new Set([...map.keys()].map((k) => k.toLowerCase()));
  renamed.forEach((name, i) => {
    if (targets.has(normalize(name).toLowerCase())) renamed[i] = `(unmapped) ${name}`;
  });
  for (const [ours, theirs] of map) {
    const index = header.findIndex((name) => normalize(name) === normalize(theirs));
    if (index < 0) {
      throw new ImportFileError(
        `--columns: the header has no column ${theirs} (for ${ours}); it has ${header.map((h) => h.trim()).join(', ')}`,
        1,
      );
    }
    renamed[index] = ours;
  }
  return renamed;
}

/** Characters that separate fields in files that are not comma-separated. */
const OTHER_DELIMITERS: ReadonlyArray<[string, string]> = [
  [';', 'semicolon'],
  ['\t', 'tab'],
  ['|', 'pipe'],
];

/**
 * When a header parsed as a single column: names the delimiter the file probably uses, for a
 * message like "found one column; is the file semicolon-separated?".
 */
export function guessDelimiter(header: readonly string[]): { char: string; name: string } | undefined {
  if (header.length !== 1) return undefined;
  const text = header[0] ?? '';
  let best: { char: string; name: string; count: number } | undefined;
  for (const [char, name] of OTHER_DELIMITERS) {
    const count = text.split(char).length - 1;
    if (count > 0 && (!best || count > best.count)) best = { char, name, count };
  }
  return best && { char: best.char, name: best.name };
}
