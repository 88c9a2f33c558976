import { randomBytes } from 'node:crypto';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../../functions/adapters/dynamo/dynamo-client.js';
import {
  DynamoMemberRepository,
  type StoredMember,
} from '../../../../functions/adapters/dynamo/dynamo-member-repository.js';
import { ensureTables, localClient, taggedTableNames } from '../../../../functions/local/dynamodb-local.js';

/**
 * The member import's store against DynamoDB Local: the import hands it any number of members,
 * and the engine itself refuses a BatchWriteItem of more than 25 requests or a BatchGetItem of
 * more than 100 keys, so only a store that splits them right gets these calls through.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const tables = taggedTableNames(`members-${randomBytes(4).toString('hex')}`);

let doc: DynamoDBDocumentClient;
let repo: DynamoMemberRepository;

beforeAll(async () => {
  await ensureTables(localClient(endpoint), tables);
  doc = createDocumentClient({ endpoint });
  repo = new DynamoMemberRepository(doc, tables.members);
});
afterAll(() => doc.destroy());

const member = (i: number): StoredMember => ({
  memberId: `M-${String(i).padStart(4, '0')}`,
  companyUserId: `C-${i}`,
  factorHashes: { birthDate: `b${i}`, postalCode: `p${i}` },
  contentHash: `hash-${i}`,
});

async function storedIds(): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({ TableName: tables.members, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    ids.push(...(page.Items ?? []).map((item) => String(item.memberId)));
    start = page.LastEvaluatedKey;
  } while (start);
  return ids.sort();
}

describe('DynamoMemberRepository: any number of members per call (DynamoDB Local)', () => {
  const members = Array.from({ length: 260 }, (_, i) => member(i));

  test('writes 260 records in one putMembers call (BatchWriteItem takes 25)', async () => {
    await repo.putMembers(members, '2026-12-01T00:00:00.000Z');
    expect(await storedIds()).toEqual(members.map((m) => m.memberId));
    expect(await repo.findByMemberId('M-0259')).toEqual({
      memberId: 'M-0259',
      companyUserId: 'C-259',
      factorHashes: { birthDate: 'b259', postalCode: 'p259' },
    });
  });

  test('reads 270 content hashes in one contentHashes call (BatchGetItem takes 100), absent ones absent', async () => {
    const absent = Array.from({ length: 10 }, (_, i) => `M-9${String(i).padStart(3, '0')}`);
    const found = await repo.contentHashes([...members.map((m) => m.memberId), ...absent]);
    expect(found).toEqual(new Map(members.map((m) => [m.memberId, m.contentHash])));
  });

  test('deletes 130 records in one deleteMembers call', async () => {
    await repo.deleteMembers(members.slice(0, 130).map((m) => m.memberId));
    expect(await storedIds()).toEqual(members.slice(130).map((m) => m.memberId));
  });
});
