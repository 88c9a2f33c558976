import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** AWS credentials to sign requests with (a session token for temporary ones). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Options of {@link awsCredentials}. */
export interface AwsCredentialsOptions {
  /** The region the credentials are for (some sources, such as SSO, depend on it). */
  region: string;
  /** Keys given explicitly (the dev server prints its own); absent: the SDK's default chain. */
  keys?: AwsCredentials;
}

/**
 * Credentials for signing requests by hand (Signature V4): the given keys, else the AWS SDK's
 * default chain (environment, profile, SSO, instance role…), resolved by an SDK client as it
 * would for its own calls, so a terminal signs with what the AWS CLI would use.
 * @returns a function that resolves them; it rejects when the chain finds none.
 */
export function awsCredentials(options: AwsCredentialsOptions): () => Promise<AwsCredentials> {
  const { keys } = options;
  if (keys) return async () => keys;
  // Any SDK client resolves the default chain; DynamoDB's is a dependency already.
  const client = new DynamoDBClient({ region: options.region });
  return () => client.config.credentials();
}
