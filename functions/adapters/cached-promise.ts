/**
 * A value that costs a call to make (a secret, an IdP's metadata, an imported key): made once,
 * on first use, and shared by every caller, including those that ask while it is still being
 * made. A failure is not kept: the next caller tries again, so one outage of Secrets Manager or
 * of an IdP does not break an execution environment for the rest of its life.
 */
export function cachedPromise<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () =>
    (value ??= make().catch((error: unknown) => {
      value = undefined;
      throw error;
    }));
}
