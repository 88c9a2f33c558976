import { startDynamoDbLocal } from '../../functions/local/dynamodb-local.js';

/**
 * Starts one DynamoDB Local (in memory) for the whole integration run: the JVM start costs
 * about 3 s, so suites share it and isolate themselves with their own table names. Workers
 * inherit DYNAMODB_ENDPOINT from this process's environment.
 */
export default async function globalSetup(): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  (globalThis as { __dynamoDbLocal?: typeof dynamo }).__dynamoDbLocal = dynamo;
}
