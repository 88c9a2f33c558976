import {
  MEMBER_FACTOR_NAMES,
  normalizeCompanyUserId,
  normalizeFactor,
  normalizeMemberId,
  type FactorValues,
  type MemberFactor,
} from './member-factors.js';

/**
 * The columns of a member file (docs/member-data.md; the CSV itself is read by
 * functions/adapters/csv/member-csv-file.ts): a header row naming the columns in any order:
 *
 * - `memberId` — required: the number the user types;
 * - one column per factor in `MEMBER_FACTORS` (`birthDate`, `postalCode`, `phone`) — required;
 *   only these are hashed and stored (data minimization: a factor the deployment does not check
 *   is not kept, not even hashed); changing `MEMBER_FACTORS` therefore means importing again;
 * - `companyUserId` — optional: the ID a link is made with (default: the member ID);
 * - any other column (name, email, …) is ignored and never stored.
 *
 * Header names are matched ignoring case, `_`, `-` and spaces (`member_id`, `BirthDate`).
 */

/** A problem with the file as a whole: nothing more can be read from it. */
export class ImportFileError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'ImportFileError';
  }
}

type Column = 'memberId' | 'companyUserId' | MemberFactor;
const KNOWN_COLUMNS: readonly Column[] = ['memberId', 'companyUserId', ...MEMBER_FACTOR_NAMES];

/** Where each known column is in the file. */
export interface HeaderLayout {
  columns: Partial<Record<Column, number>>;
  /** The factor columns that are read (those of `MEMBER_FACTORS`). */
  factors: MemberFactor[];
  /** Header names that are ignored (not ours, or a factor this deployment does not use). */
  ignored: string[];
  width: number;
}

const headerKey = (name: string) =>
  name
    .normalize('NFKC')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '');

/** Reads the header row; throws {@link ImportFileError} when a required column is missing. */
export function readHeader(header: readonly string[], required: readonly MemberFactor[]): HeaderLayout {
  const byKey = new Map(KNOWN_COLUMNS.map((c) => [headerKey(c), c]));
  const columns: Partial<Record<Column, number>> = {};
  const ignored: string[] = [];
  header.forEach((name, index) => {
    const column = byKey.get(headerKey(name));
    const unusedFactor =
      column !== undefined &&
      column !== 'memberId' &&
      column !== 'companyUserId' &&
      !required.includes(column);
    if (!column || unusedFactor) {
      ignored.push(name.trim());
      return;
    }
    if (columns[column] !== undefined)
      throw new ImportFileError(`the header names column ${column} twice`, 1);
    columns[column] = index;
  });
  const missing = (['memberId', ...required] as Column[]).filter((c) => columns[c] === undefined);
  if (missing.length > 0) {
    throw new ImportFileError(
      `the header lacks required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(memberId and the factors of MEMBER_FACTORS=${required.join(',')})`,
      1,
    );
  }
  return { columns, factors: [...required], ignored, width: header.length };
}

/** A valid, normalized row. */
export interface MemberRow {
  memberId: string;
  companyUserId: string;
  factors: FactorValues;
}

/** Why a row was not imported (never containing a value of the row). */
export type RowResult = { ok: true; row: MemberRow } | { ok: false; memberId?: string; reason: string };

/** Validates and normalizes one data row. */
export function readRow(record: readonly string[], layout: HeaderLayout): RowResult {
  if (record.length !== layout.width) {
    return { ok: false, reason: `has ${record.length} fields, the header has ${layout.width}` };
  }
  const cell = (column: Column) => record[layout.columns[column]!] ?? '';
  const memberId = normalizeMemberId(cell('memberId'));
  if (!memberId.ok) return { ok: false, reason: `memberId ${memberId.reason}` };
  const fail = (reason: string): RowResult => ({ ok: false, memberId: memberId.value, reason });
  let companyUserId = memberId.value;
  if (layout.columns.companyUserId !== undefined && cell('companyUserId').trim() !== '') {
    const normalized = normalizeCompanyUserId(cell('companyUserId'));
    if (!normalized.ok) return fail(`companyUserId ${normalized.reason}`);
    companyUserId = normalized.value;
  }
  const factors: FactorValues = {};
  for (const factor of layout.factors) {
    const raw = cell(factor);
    if (raw.trim() === '') return fail(`${factor} is missing`);
    const normalized = normalizeFactor(factor, raw);
    if (!normalized.ok) return fail(`${factor} ${normalized.reason}`);
    factors[factor] = normalized.value;
  }
  return { ok: true, row: { memberId: memberId.value, companyUserId, factors } };
}
