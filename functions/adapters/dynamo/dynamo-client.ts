import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Options of {@link createDocumentClient} (functions/config.ts `loadDynamoConfig` reads them). */
export interface DocumentClientOptions {
  /** Endpoint override (DynamoDB Local); AWS's own endpoint when absent. */
  endpoint?: string;
  region?: string;
  /**
   * Use static dummy credentials (DynamoDB Local accepts any); default: when an endpoint is set
   * without a region.
   */
  localCredentials?: boolean;
}

/**
 * One DynamoDB document client per execution environment. With an `endpoint` (DynamoDB Local)
 * the region defaults to `local` and static dummy credentials are used unless real ones are
 * configured.
 */
export function createDocumentClient(options: DocumentClientOptions = {}): DynamoDBDocumentClient {
  const local = options.endpoint !== undefined;
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region ?? (local ? 'local' : undefined),
    credentials:
      (options.localCredentials ?? (local && options.region === undefined))
        ? { accessKeyId: 'local', secretAccessKey: 'local' }
        : undefined,
    maxAttempts: 3,
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
