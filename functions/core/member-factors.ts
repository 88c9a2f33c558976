/**
 * Member numbers and verification factors (patterns 2 and 3): which factors exist, and how a
 * typed or imported value is normalized before it is hashed, compared or sent to the company
 * API. The import and both verification routes use exactly these functions, so "１９９０/4/12"
 * typed on a phone matches "19900412" in the CSV.
 *
 * Pure code: no I/O, no crypto. Reasons never repeat the value they reject (they end up in
 * problem details, logs and reject files).
 */

/** The factors a deployment can require (`MEMBER_FACTORS`). */
export const MEMBER_FACTOR_NAMES = ['birthDate', 'postalCode', 'phone'] as const;
export type MemberFactor = (typeof MEMBER_FACTOR_NAMES)[number];

/** Normalized factor values, by factor. */
export type FactorValues = Partial<Record<MemberFactor, string>>;

/** A normalized value, or why the raw value is not acceptable. */
export type Normalized = { ok: true; value: string } | { ok: false; reason: string };

export function isMemberFactor(name: string): name is MemberFactor {
  return (MEMBER_FACTOR_NAMES as readonly string[]).includes(name);
}

/** Longest raw input considered at all (a date or a phone number is never longer). */
export const MAX_RAW_FACTOR_LENGTH = 64;

/** Dashes and hyphens people type between digit groups (ASCII, Unicode dashes, minus, katakana long vowel). */
const DASHES = '\\-\\u2010-\\u2015\\u2212\\u30fc\\uff0d\\uff70';
const POSTAL_SEPARATORS = new RegExp(`[\\s${DASHES}]`, 'gu');
const PHONE_SEPARATORS = new RegExp(`[\\s${DASHES}().]`, 'gu');

/** Unicode NFKC (full-width digits and letters become ASCII), then trimmed. */
function canonical(raw: string): string {
  // Printable ASCII is already in NFKC: skip the (comparatively slow) normalization for it.
  return (/^[\x20-\x7e]*$/.test(raw) ? raw : raw.normalize('NFKC')).trim();
}

/**
 * Member number: NFKC, trimmed, 1–64 printable ASCII characters without spaces. Case is kept:
 * `m-1` and `M-1` are different members, as in most company systems.
 */
export function normalizeMemberId(raw: string): Normalized {
  if (raw.length > 256)
    return { ok: false, reason: 'must be 1–64 printable ASCII characters without spaces' };
  const value = canonical(raw);
  if (!value) return { ok: false, reason: 'is missing' };
  if (!/^[\x21-\x7e]{1,64}$/.test(value)) {
    return { ok: false, reason: 'must be 1–64 printable ASCII characters without spaces' };
  }
  return { ok: true, value };
}

/** Company user ID of an imported record (the `sub` of pattern 1): 1–128 printable ASCII characters. */
export function normalizeCompanyUserId(raw: string): Normalized {
  const value = canonical(raw);
  if (!value) return { ok: false, reason: 'is missing' };
  if (!/^[\x21-\x7e]{1,128}$/.test(value)) {
    return { ok: false, reason: 'must be 1–128 printable ASCII characters without spaces' };
  }
  return { ok: true, value };
}

const DATE_FORMATS: readonly RegExp[] = [
  /^(\d{4})-(\d{1,2})-(\d{1,2})$/, // 1990-04-12, 1990-4-12
  /^(\d{4})(\d{2})(\d{2})$/, // 19900412
  /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/, // 1990/4/12, 1990/04/12
  /^(\d{4})\.(\d{1,2})\.(\d{1,2})$/, // 1990.4.12
  /^(\d{4})年(\d{1,2})月(\d{1,2})日$/, // 1990年4月12日
];

/**
 * Birth date → `YYYY-MM-DD`. Accepts `YYYY-MM-DD`, `YYYYMMDD`, `YYYY/M/D`, `YYYY.M.D` and
 * `YYYY年M月D日` after NFKC (so full-width digits and slashes work). The date must exist (no
 * February 30th; February 29th only in leap years) and lie in 1900–2100.
 */
export function normalizeBirthDate(raw: string): Normalized {
  const invalid: Normalized = {
    ok: false,
    reason: 'is not a valid date (use YYYY-MM-DD, YYYYMMDD or YYYY/M/D)',
  };
  if (raw.length > MAX_RAW_FACTOR_LENGTH) return invalid;
  const value = canonical(raw).replace(/\s+/gu, '');
  if (!value) return { ok: false, reason: 'is missing' };
  for (const format of DATE_FORMATS) {
    const match = format.exec(value);
    if (!match) continue;
    const year = Number(match[1]);
    const month = Number(match[2]);
    const day = Number(match[3]);
    if (year < 1900 || year > 2100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
      return invalid;
    }
    return { ok: true, value: `${year}-${pad2(month)}-${pad2(day)}` };
  }
  return invalid;
}

/** Postal code → digits only: NFKC, a leading `〒` and spaces/hyphens removed, 3–10 digits remain. */
export function normalizePostalCode(raw: string): Normalized {
  const invalid: Normalized = { ok: false, reason: 'must be 3–10 digits (hyphens and spaces are ignored)' };
  if (raw.length > MAX_RAW_FACTOR_LENGTH) return invalid;
  const value = canonical(raw).replace(/^〒/u, '').replace(POSTAL_SEPARATORS, '');
  if (!value) return { ok: false, reason: 'is missing' };
  return /^\d{3,10}$/.test(value) ? { ok: true, value } : invalid;
}

/**
 * Phone number → digits only: NFKC, spaces, hyphens, dots and parentheses removed; a leading
 * `+81` (Japan's country code) becomes the domestic `0`; 6–15 digits remain.
 */
export function normalizePhone(raw: string): Normalized {
  const invalid: Normalized = {
    ok: false,
    reason: 'must be 6–15 digits (spaces, hyphens and parentheses are ignored)',
  };
  if (raw.length > MAX_RAW_FACTOR_LENGTH) return invalid;
  let value = canonical(raw).replace(PHONE_SEPARATORS, '');
  if (!value) return { ok: false, reason: 'is missing' };
  if (value.startsWith('+81')) value = `0${value.slice(3).replace(/^0/, '')}`;
  else if (value.startsWith('+')) value = value.slice(1);
  return /^\d{6,15}$/.test(value) ? { ok: true, value } : invalid;
}

const NORMALIZERS: Record<MemberFactor, (raw: string) => Normalized> = {
  birthDate: normalizeBirthDate,
  postalCode: normalizePostalCode,
  phone: normalizePhone,
};

/** Normalizes one factor value. */
export function normalizeFactor(factor: MemberFactor, raw: string): Normalized {
  return NORMALIZERS[factor](raw);
}

/** A factor problem, named by path, for InvalidRequestError or a reject file. */
export interface FactorProblem {
  path: string;
  message: string;
}

/**
 * Normalizes what a user typed: the member number and every required factor (other supported
 * factors are ignored, unknown names are refused). Returns the problems instead when any.
 */
export function normalizeMemberInput(
  input: { memberId: string; factors: Readonly<Record<string, string>> },
  required: readonly MemberFactor[],
): { ok: true; memberId: string; factors: FactorValues } | { ok: false; problems: FactorProblem[] } {
  const problems: FactorProblem[] = [];
  const memberId = normalizeMemberId(input.memberId);
  if (!memberId.ok) problems.push({ path: 'memberId', message: `memberId ${memberId.reason}` });
  for (const name of Object.keys(input.factors)) {
    if (!isMemberFactor(name)) {
      problems.push({
        path: `factors.${name}`,
        message: `unknown factor; this deployment uses ${required.join(', ')}`,
      });
    }
  }
  const factors: FactorValues = {};
  for (const factor of required) {
    const raw = Object.hasOwn(input.factors, factor) ? input.factors[factor] : undefined;
    if (raw === undefined) {
      problems.push({ path: `factors.${factor}`, message: `${factor} is required` });
      continue;
    }
    const normalized = normalizeFactor(factor, raw);
    if (normalized.ok) factors[factor] = normalized.value;
    else problems.push({ path: `factors.${factor}`, message: `${factor} ${normalized.reason}` });
  }
  if (problems.length || !memberId.ok) return { ok: false, problems };
  return { ok: true, memberId: memberId.value, factors };
}

/**
 * Compares two strings in time that depends only on their lengths, not on where they differ
 * (hash comparisons must not leak a matching prefix).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    diff |= (a.charCodeAt(i % (a.length || 1)) || 0) ^ (b.charCodeAt(i % (b.length || 1)) || 0);
  }
  return diff === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
