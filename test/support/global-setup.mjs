import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Starts one DynamoDB Local (in memory) for the whole integration run: the JVM start costs
 * about 3 s, so suites share it and isolate themselves with their own table names. It runs in a
 * child process (the project's own startDynamoDbLocal, through tsx); test workers inherit
 * DYNAMODB_ENDPOINT from this process's environment.
 */
export default async function globalSetup() {
  const child = fork(fileURLToPath(new URL('./dynamodb-local-process.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const endpoint = await new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.endpoint));
    child.once('exit', (code) => reject(new Error(`DynamoDB Local could not be started (exit ${code}).`)));
  });
  child.removeAllListeners('exit');
  child.channel?.unref();
  child.unref();
  process.env.DYNAMODB_ENDPOINT = endpoint;
  globalThis.__dynamoDbLocalProcess = child;
}
