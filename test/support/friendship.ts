import { createDocumentClient } from '../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoFriendshipStore } from '../../functions/adapters/dynamo/dynamo-messaging-stores.js';
import type { TableKey } from '../../functions/manifest/table-definitions.js';

/**
 * Records a LINE user's friendship as the webhook's follow / unfollow event does (through the
 * same adapter, on DynamoDB Local at DYNAMODB_ENDPOINT), for tests whose stack has no
 * Messaging API channel to deliver events to.
 */
export async function recordFriendship(
  tables: Record<TableKey, string>,
  lineUserId: string,
  friend: boolean,
  at: string,
): Promise<void> {
  const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT! });
  try {
    const update = await new DynamoFriendshipStore(client, tables).record(lineUserId, friend, at);
    if (update !== 'updated') throw new Error(`friendship of ${lineUserId} not recorded: ${update}`);
  } finally {
    client.destroy();
  }
}
