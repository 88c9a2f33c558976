import type { DynamoDbLocal } from '../../functions/local/dynamodb-local.js';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dynamoDbLocal?: DynamoDbLocal }).__dynamoDbLocal?.stop();
}
