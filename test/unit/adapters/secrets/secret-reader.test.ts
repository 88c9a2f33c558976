import { MissingSecretError, SecretReader } from '../../../../functions/adapters/secrets/secret-reader.js';

describe('SecretReader', () => {
  it('reads a secret given directly from its environment (local runs), never from process.env', async () => {
    const reader = new SecretReader({ LINE_CHANNEL_SECRET: 'local-secret' });
    await expect(reader.read('LINE_CHANNEL_SECRET')).resolves.toBe('local-secret');
    process.env.COMPANY_API_KEY = 'from-process-env';
    try {
      await expect(reader.read('COMPANY_API_KEY')).rejects.toThrow(
        'Missing required environment variable COMPANY_API_KEY (or COMPANY_API_KEY_ARN).',
      );
    } finally {
      delete process.env.COMPANY_API_KEY;
    }
  });

  it('a secret neither given nor named by an ARN fails naming the variable', async () => {
    await expect(new SecretReader({}).read('MEMBER_HASH_PEPPER')).rejects.toBeInstanceOf(MissingSecretError);
  });

  it('a cached secret is one reader per name, shared by its callers', () => {
    const reader = new SecretReader({ A: 'a', B: 'b' });
    expect(reader.cached('A')).toBe(reader.cached('A'));
    expect(reader.cached('A')).not.toBe(reader.cached('B'));
  });
});
