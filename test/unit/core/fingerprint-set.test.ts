import { FingerprintSet } from '../../../functions/core/fingerprint-set.js';

describe('FingerprintSet', () => {
  test('remembers what was added, through growth', () => {
    const set = new FingerprintSet(16);
    let added = 0;
    for (let i = 0; i < 100_000; i++) if (set.add(`M-${i}`)) added++;
    expect(added).toBe(100_000);
    expect(set.size).toBe(100_000);
    let found = 0;
    for (let i = 0; i < 100_000; i++) if (set.has(`M-${i}`)) found++;
    expect(found).toBe(100_000);
    let false_positives = 0;
    for (let i = 100_000; i < 200_000; i++) if (set.has(`M-${i}`)) false_positives++;
    expect(false_positives).toBe(0);
    expect(set.add('M-5')).toBe(false);
    expect(set.has('')).toBe(false);
    expect(set.add('')).toBe(true);
    expect(set.has('')).toBe(true);
  });
});
