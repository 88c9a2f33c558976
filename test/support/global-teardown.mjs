/** Stops the DynamoDB Local started by global-setup.mjs. */
export default async function globalTeardown() {
  await globalThis.__dynamoDbLocal?.stop();
}
