/** Stops the DynamoDB Local process started by global-setup.mjs and waits until it is gone. */
export default async function globalTeardown() {
  const child = globalThis.__dynamoDbLocalProcess;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
}
