import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One DynamoDB document client per execution environment. `DYNAMODB_ENDPOINT` points it at
 * DynamoDB Local; there, static dummy credentials are used unless real ones are configured.
 */
export function createDocumentClient(
  env: Record<string, string | undefined> = process.env,
): DynamoDBDocumentClient {
  const endpoint = env.DYNAMODB_ENDPOINT?.trim() || undefined;
  const local = endpoint !== undefined;
  const client = new DynamoDBClient({
    endpoint,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || (local ? 'local' : undefined),
    credentials:
      local && !env.AWS_ACCESS_KEY_ID ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
    maxAttempts: 3,
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
