/**
 * Stops the DynamoDB Local process started by global-setup.mjs and waits until it is gone.
 *
 * The child was unref'ed so that it never holds jest open; while waiting for it here the wait
 * itself must hold the event loop (a ref'ed timer), or Node runs out of work, exits with code 0
 * before jest reports, and a failing run looks green.
 */
export default async function globalTeardown() {
  const child = globalThis.__dynamoDbLocalProcess;
  if (!child || child.exitCode !== null) return;
  let timer;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const timedOut = new Promise((resolve) => (timer = setTimeout(resolve, 10_000)));
  child.kill('SIGTERM');
  await Promise.race([exited, timedOut]);
  clearTimeout(timer);
}
