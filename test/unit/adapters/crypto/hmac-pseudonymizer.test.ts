import { createHmac } from 'node:crypto';
import { createPseudonymizer } from '../../../../functions/adapters/crypto/hmac-pseudonymizer.js';

describe('createPseudonymizer', () => {
  const key = 'k'.repeat(32);

  it('is HMAC-SHA256 of the ID under the key, stable across instances', () => {
    const a = createPseudonymizer(key);
    const b = createPseudonymizer(key);
    const id = 'U4af4980629d6b3f3a0c1b2d3e4f5a6b7';
    expect(a(id)).toBe(createHmac('sha256', key).update(id).digest('hex'));
    expect(a(id)).toBe(b(id));
    expect(a(id)).toMatch(/^[0-9a-f]{64}$/);
    expect(a(id)).not.toContain(id);
  });

  it('differs per key and per ID', () => {
    const id = 'U1';
    expect(createPseudonymizer(key)(id)).not.toBe(createPseudonymizer('x'.repeat(32))(id));
    expect(createPseudonymizer(key)('U1')).not.toBe(createPseudonymizer(key)('U2'));
  });

  it('refuses a short key', () => {
    expect(() => createPseudonymizer('short')).toThrow(/at least 32/);
  });
});
