import { createHmac } from 'node:crypto';
import { HmacFactorHasher } from '../../../../functions/adapters/crypto/hmac-factor-hasher.js';

const PEPPER = 'unit-test-pepper-0123456789';

describe('HmacFactorHasher', () => {
  test('HMAC-SHA256 with the pepper over scheme, factor, member ID and value', async () => {
    const hashes = await new HmacFactorHasher(PEPPER).hashFactors('M-1', {
      birthDate: '1990-04-12',
      postalCode: '1000001',
    });
    const expected = createHmac('sha256', PEPPER)
      .update('line-id-link/member-factor/v1\u0000birthDate\u0000M-1\u00001990-04-12')
      .digest('base64url');
    expect(hashes.birthDate).toBe(expected);
    expect(Object.keys(hashes).sort()).toEqual(['birthDate', 'postalCode']);
  });

  test('equal values of two members, or under two peppers, hash differently; no value shows', async () => {
    const a = await new HmacFactorHasher(PEPPER).hashFactors('M-1', { birthDate: '1990-04-12' });
    const b = await new HmacFactorHasher(PEPPER).hashFactors('M-2', { birthDate: '1990-04-12' });
    const c = await new HmacFactorHasher(`${PEPPER}x`).hashFactors('M-1', { birthDate: '1990-04-12' });
    expect(new Set([a.birthDate, b.birthDate, c.birthDate]).size).toBe(3);
    expect(a.birthDate).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('reads the pepper once; a failed read is retried; a short pepper is refused without showing it', async () => {
    let reads = 0;
    const hasher = new HmacFactorHasher(async () => {
      reads++;
      if (reads === 1) throw new Error('secrets manager down');
      return PEPPER;
    });
    await expect(hasher.hashFactors('M-1', { phone: '0312345678' })).rejects.toThrow('secrets manager down');
    await hasher.hashFactors('M-1', { phone: '0312345678' });
    await hasher.hashFactors('M-2', { phone: '0312345678' });
    expect(reads).toBe(2);
    const short = await new HmacFactorHasher('short-pepper').hashFactors('M-1', {}).catch((e: Error) => e);
    expect(String(short)).toMatch(/at least 16/);
    expect(String(short)).not.toContain('short-pepper');
  });
});
