import { cachedPromise } from '../../../functions/adapters/cached-promise.js';

describe('cachedPromise', () => {
  it('makes the value once, for every caller, including those asking while it is being made', async () => {
    let made = 0;
    const value = cachedPromise(async () => {
      made++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 'secret';
    });
    await expect(Promise.all([value(), value(), value()])).resolves.toEqual(['secret', 'secret', 'secret']);
    await expect(value()).resolves.toBe('secret');
    expect(made).toBe(1);
  });

  it('forgets a failure: the next caller tries again, and a success is then kept', async () => {
    let calls = 0;
    const value = cachedPromise(async () => {
      calls++;
      if (calls === 1) throw new Error('Secrets Manager unavailable');
      return calls;
    });
    await expect(value()).rejects.toThrow('Secrets Manager unavailable');
    await expect(value()).resolves.toBe(2);
    await expect(value()).resolves.toBe(2);
    expect(calls).toBe(2);
  });
});
