import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  DynamoMemberRepository,
  type StoredMember,
} from '../../../../functions/adapters/dynamo/dynamo-member-repository.js';

/** A document client whose batch calls leave some items unprocessed, as DynamoDB does under load. */
function throttlingClient(leaveUnprocessed: number[]) {
  const sent: Array<{ kind: string; size: number }> = [];
  const client = {
    send: async (command: unknown) => {
      if (command instanceof BatchWriteCommand) {
        const items = command.input.RequestItems!.t!;
        sent.push({ kind: 'write', size: items.length });
        const left = leaveUnprocessed.shift() ?? 0;
        return { UnprocessedItems: left ? { t: items.slice(items.length - left) } : {} };
      }
      if (command instanceof BatchGetCommand) {
        const keys = command.input.RequestItems!.t!.Keys!;
        sent.push({ kind: 'get', size: keys.length });
        const left = leaveUnprocessed.shift() ?? 0;
        const answered = keys.slice(0, keys.length - left);
        return {
          Responses: { t: answered.map((k) => ({ memberId: String(k.pk).slice(7), contentHash: 'h' })) },
          UnprocessedKeys: left ? { t: { Keys: keys.slice(keys.length - left) } } : {},
        };
      }
      throw new Error('unexpected command');
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, sent };
}

const member = (i: number): StoredMember => ({
  memberId: `M-${i}`,
  companyUserId: `M-${i}`,
  factorHashes: { birthDate: 'x' },
  contentHash: 'c',
});

describe('DynamoMemberRepository batches', () => {
  test('BatchWriteItem: unprocessed items are sent again until none is left', async () => {
    const { client, sent } = throttlingClient([10, 3, 0]);
    await new DynamoMemberRepository(client, 't', { baseBackoffMs: 1 }).putMembers(
      Array.from({ length: 25 }, (_, i) => member(i)),
      'now',
    );
    expect(sent).toEqual([
      { kind: 'write', size: 25 },
      { kind: 'write', size: 10 },
      { kind: 'write', size: 3 },
    ]);
  });

  test('BatchWriteItem gives up after the configured retries', async () => {
    const { client } = throttlingClient(Array(20).fill(1));
    await expect(
      new DynamoMemberRepository(client, 't', { baseBackoffMs: 1, maxBatchRetries: 3 }).deleteMembers([
        'M-1',
        'M-2',
      ]),
    ).rejects.toThrow(/unprocessed after retries/);
  });

  test('BatchGetItem: unprocessed keys are read again', async () => {
    const { client, sent } = throttlingClient([40, 0]);
    const found = await new DynamoMemberRepository(client, 't', { baseBackoffMs: 1 }).contentHashes(
      Array.from({ length: 100 }, (_, i) => `M-${i}`),
    );
    expect(found.size).toBe(100);
    expect(sent.map((s) => s.size)).toEqual([100, 40]);
  });

  test('splits any number of members into requests DynamoDB accepts, one after another, each retried', async () => {
    const { client, sent } = throttlingClient([0, 5, 0, 0, 30, 0, 0]);
    const repo = new DynamoMemberRepository(client, 't', { baseBackoffMs: 1 });
    await repo.putMembers(
      Array.from({ length: 60 }, (_, i) => member(i)),
      'now',
    );
    expect(sent.splice(0).map((s) => s.size)).toEqual([25, 25, 5, 10]);
    const found = await repo.contentHashes(Array.from({ length: 250 }, (_, i) => `M-${i}`));
    expect(found.size).toBe(250);
    expect(sent.map((s) => s.size)).toEqual([100, 30, 100, 50]);
  });
});
