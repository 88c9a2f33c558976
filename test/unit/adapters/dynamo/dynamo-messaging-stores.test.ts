import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoAccountLinkNonceStore } from '../../../../functions/adapters/dynamo/dynamo-messaging-stores.js';

/** Account-link nonces against a mocked document client: one conditional, single-use DeleteItem. */

const TABLE = 'messaging';
const NOW = new Date('2026-12-01T04:00:00.000Z');
const NOW_SEC = NOW.getTime() / 1000;

const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const ddb = mockClient(client);
beforeEach(() => ddb.reset());
const store = () => new DynamoAccountLinkNonceStore(client, TABLE);

test('consume: deletes the nonce only while it exists and is unexpired, returning the old item', async () => {
  ddb
    .on(DeleteCommand)
    .resolves({ Attributes: { pk: 'NONCE#n1', companyUserId: 'C1', expiresAt: NOW_SEC + 60 } });

  expect(await store().consume('n1', NOW)).toEqual({
    nonce: 'n1',
    companyUserId: 'C1',
    expiresAt: NOW_SEC + 60,
  });
  expect(ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input)).toEqual([
    {
      TableName: TABLE,
      Key: { pk: 'NONCE#n1' },
      ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now',
      ExpressionAttributeValues: { ':now': NOW_SEC },
      ReturnValues: 'ALL_OLD',
    },
  ]);
});

test.each([
  ['no old item', {}],
  ['an old item without its company user', { Attributes: { pk: 'NONCE#n1', expiresAt: NOW_SEC + 60 } }],
  ['an old item without its expiry', { Attributes: { pk: 'NONCE#n1', companyUserId: 'C1' } }],
])('consume: %s is no nonce', async (_, output) => {
  ddb.on(DeleteCommand).resolves(output);
  expect(await store().consume('n1', NOW)).toBeUndefined();
});

test('consume: used, expired or unknown (condition failed) is no nonce; other errors are thrown', async () => {
  ddb
    .on(DeleteCommand)
    .rejectsOnce(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
  expect(await store().consume('n1', NOW)).toBeUndefined();
  const error = new Error('throttled');
  ddb.on(DeleteCommand).rejects(error);
  await expect(store().consume('n1', NOW)).rejects.toBe(error);
});
