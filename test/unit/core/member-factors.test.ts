import {
  constantTimeEqual,
  normalizeBirthDate,
  normalizeCompanyUserId,
  normalizeMemberId,
  normalizeMemberInput,
  normalizePhone,
  normalizePostalCode,
} from '../../../functions/core/member-factors.js';

const value = (r: { ok: boolean; value?: string }) => (r.ok ? r.value : undefined);

describe('normalization (shared by the import and both verification routes)', () => {
  test.each([
    ['1990-04-12', '1990-04-12'],
    ['19900412', '1990-04-12'],
    ['1990/4/12', '1990-04-12'],
    ['1990/04/12', '1990-04-12'],
    ['1990-4-2', '1990-04-02'],
    ['1990.4.12', '1990-04-12'],
    ['1990年4月12日', '1990-04-12'],
    ['１９９０／４／１２', '1990-04-12'], // full-width digits and slashes (NFKC)
    ['１９９０－０４－１２', '1990-04-12'],
    ['  1990-04-12\t', '1990-04-12'],
    ['2000-02-29', '2000-02-29'], // leap year
    ['20000229', '2000-02-29'],
    ['1900-02-28', '1900-02-28'],
    ['1900-02-29', undefined], // 1900 is not a leap year
    ['1999-02-29', undefined],
    ['1990-13-01', undefined],
    ['1990-04-31', undefined],
    ['1990-00-10', undefined],
    ['1899-12-31', undefined],
    ['12/04/1990', undefined], // day-first formats are ambiguous: refused
    ['1990412', undefined],
    ['1990-04-12T00:00', undefined],
    ['', undefined],
    ['abcd-ef-gh', undefined],
  ])('birthDate %j → %j', (raw, expected) => {
    expect(value(normalizeBirthDate(raw))).toBe(expected);
  });

  test.each([
    ['1000001', '1000001'],
    ['100-0001', '1000001'],
    ['〒100-0001', '1000001'],
    ['１００－０００１', '1000001'], // full-width
    ['100ー0001', '1000001'], // katakana long vowel mark typed as a dash
    ['100‐0001', '1000001'], // U+2010 hyphen
    [' 100 0001 ', '1000001'],
    ['SW1A 1AA', undefined],
    ['10', undefined],
    ['', undefined],
  ])('postalCode %j → %j', (raw, expected) => {
    expect(value(normalizePostalCode(raw))).toBe(expected);
  });

  test.each([
    ['09012345678', '09012345678'],
    ['090-1234-5678', '09012345678'],
    ['090 1234 5678', '09012345678'],
    ['(03) 1234-5678', '0312345678'],
    ['03.1234.5678', '0312345678'],
    ['０９０－１２３４－５６７８', '09012345678'], // full-width
    ['+81 90-1234-5678', '09012345678'], // country code → domestic
    ['+81 (0)90 1234 5678', '09012345678'],
    ['+44 20 7946 0958', '442079460958'],
    ['090-1234-567x', undefined],
    ['12345', undefined],
    ['', undefined],
  ])('phone %j → %j', (raw, expected) => {
    expect(value(normalizePhone(raw))).toBe(expected);
  });

  test.each([
    ['M-100001', 'M-100001'],
    [' M-100001 ', 'M-100001'],
    ['Ｍ－１０００01', 'M-100001'], // full-width letters, dash and digits
    ['m-100001', 'm-100001'], // case is kept
    ['M 100001', undefined],
    ['会員1', undefined],
    ['', undefined],
    ['x'.repeat(65), undefined],
  ])('memberId %j → %j', (raw, expected) => {
    expect(value(normalizeMemberId(raw))).toBe(expected);
  });

  test('company user IDs: printable ASCII up to 128', () => {
    expect(value(normalizeCompanyUserId(' C-1 '))).toBe('C-1');
    expect(value(normalizeCompanyUserId('a b'))).toBeUndefined();
  });

  test('reasons never repeat the rejected value', () => {
    for (const r of [
      normalizeBirthDate('1990-99-99'),
      normalizePostalCode('ABC-9999'),
      normalizePhone('090-ZZZZ'),
    ]) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).not.toMatch(/99|ABC|ZZZZ/);
    }
  });
});

describe('normalizeMemberInput', () => {
  const required = ['birthDate', 'postalCode'] as const;

  test('normalizes the member ID and the required factors, ignores other supported factors', () => {
    expect(
      normalizeMemberInput(
        { memberId: ' M-1 ', factors: { birthDate: '19900412', postalCode: '100-0001', phone: 'junk' } },
        required,
      ),
    ).toEqual({ ok: true, memberId: 'M-1', factors: { birthDate: '1990-04-12', postalCode: '1000001' } });
  });

  test('lists every problem by path, without values', () => {
    const result = normalizeMemberInput(
      { memberId: '', factors: { birthDate: '1990-02-30', shoeSize: '42' } },
      required,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path).sort()).toEqual([
      'factors.birthDate',
      'factors.postalCode',
      'factors.shoeSize',
      'memberId',
    ]);
    expect(JSON.stringify(result.problems)).not.toContain('1990-02-30');
  });

  test('an inherited property is not a factor', () => {
    const factors = Object.create({ birthDate: '1990-04-12' }) as Record<string, string>;
    factors.postalCode = '1000001';
    expect(normalizeMemberInput({ memberId: 'M-1', factors }, required).ok).toBe(false);
  });
});

describe('constantTimeEqual', () => {
  test.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'ab', false],
    ['', '', true],
    ['', 'a', false],
  ])('%j vs %j → %j', (a, b, expected) => {
    expect(constantTimeEqual(a, b)).toBe(expected);
  });
});
