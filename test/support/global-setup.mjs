// Jest loads globalSetup outside its ESM module system (no moduleNameMapper), so this file is
// plain ESM and loads the project's TypeScript through tsx: the same startDynamoDbLocal the
// dev server uses, not a copy.
import { tsImport } from 'tsx/esm/api';

/**
 * Starts one DynamoDB Local (in memory) for the whole integration run: the JVM start costs
 * about 3 s, so suites share it and isolate themselves with their own table names. Test
 * workers inherit DYNAMODB_ENDPOINT from this process's environment.
 */
export default async function globalSetup() {
  const { startDynamoDbLocal } = await tsImport('../../functions/local/dynamodb-local.ts', import.meta.url);
  const dynamo = await startDynamoDbLocal();
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  globalThis.__dynamoDbLocal = dynamo;
}
