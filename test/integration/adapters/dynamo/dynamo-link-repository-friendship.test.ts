import { randomBytes } from 'node:crypto';
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { jest } from '@jest/globals';
import { createDocumentClient } from '../../../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoLinkRepository } from '../../../../functions/adapters/dynamo/dynamo-link-repository.js';
import { DynamoFriendshipStore } from '../../../../functions/adapters/dynamo/dynamo-messaging-stores.js';
import {
  CompanyUserAlreadyLinkedError,
  LineUserAlreadyLinkedError,
} from '../../../../functions/core/errors.js';
import type { Link } from '../../../../functions/core/link.js';
import { ensureTables, localClient, taggedTableNames } from '../../../../functions/local/dynamodb-local.js';

/**
 * A new link taking over the user's friendship in its own transaction, against DynamoDB Local:
 * what the engine really returns in cancellation reasons (the friendship item's old image), and
 * the race with the webhook recording a follow at the same moment. Times are fixed, not the clock's.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const suffix = randomBytes(4).toString('hex');
const tables = taggedTableNames(`friend-${suffix}`);

const LINKED_AT = '2026-12-01T09:00:00.000Z';
const BEFORE = '2026-12-01T08:00:00.000Z';
const AFTER = '2026-12-01T10:00:00.000Z';

let doc: DynamoDBDocumentClient;
let links: DynamoLinkRepository;
let friendships: DynamoFriendshipStore;
let n = 0;

beforeAll(async () => {
  await ensureTables(localClient(endpoint), tables);
  doc = createDocumentClient({ endpoint });
  links = new DynamoLinkRepository(doc, tables.links, undefined, tables.messaging);
  friendships = new DynamoFriendshipStore(doc, { messaging: tables.messaging, links: tables.links });
});
afterAll(() => doc.destroy());
afterEach(() => jest.restoreAllMocks());

/** A pair never used before in this file. */
const fresh = (): Link => {
  const i = n++;
  return {
    lineUserId: `U${suffix}${String(i).padStart(24, '0')}`,
    companyUserId: `M-${suffix}-${i}`,
    method: 'oidc',
    linkedAt: LINKED_AT,
  };
};
const stored = async (table: string, pk: string) =>
  (await doc.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }))).Item;
const lineSide = (link: Link) => stored(tables.links, `LINE#${link.lineUserId}`);
const friendRecord = (link: Link) => stored(tables.messaging, `FRIEND#${link.lineUserId}`);
const countSends = () => {
  const send = jest.spyOn(doc, 'send');
  return (command: new (...args: never[]) => unknown) =>
    send.mock.calls.filter(([sent]) => sent instanceof command).length;
};

test('nothing known: one transaction, and the link has no friend', async () => {
  const link = fresh();
  const sends = countSends();
  expect(await links.create(link, {}, { known: 'unknown' })).toEqual({ link, created: true });
  expect(sends(TransactWriteCommand)).toBe(1);
  expect((await lineSide(link))?.friend).toBeUndefined();
  expect(await friendRecord(link)).toBeUndefined();
});

test('a friendship recorded before linking ends on the link, after one more transaction', async () => {
  const link = fresh();
  await friendships.record(link.lineUserId, true, BEFORE);
  const sends = countSends();

  const result = await links.create(link, {}, { known: 'unknown' });

  expect(result).toEqual({ link: { ...link, friend: true, friendUpdatedAt: BEFORE }, created: true });
  expect(await lineSide(link)).toMatchObject({ friend: true, friendUpdatedAt: BEFORE });
  expect(sends(TransactWriteCommand)).toBe(2);
  // DynamoDB returns the checked item's old image with the cancellation; DynamoDB Local does not
  // for a ConditionCheck, so the state is read once instead.
  expect(sends(GetCommand)).toBeLessThanOrEqual(1);
});

test("LINE's answer, newer than what was known: recorded in the same transaction and on the link", async () => {
  const link = fresh();
  await friendships.record(link.lineUserId, false, BEFORE);
  const sends = countSends();

  const result = await links.create(link, {}, { known: 'learned', friend: true, at: LINKED_AT });

  expect(result.link).toMatchObject({ friend: true, friendUpdatedAt: LINKED_AT });
  expect(sends(TransactWriteCommand)).toBe(1);
  expect(await friendRecord(link)).toMatchObject({ friend: true, friendUpdatedAt: LINKED_AT });
  expect(await lineSide(link)).toMatchObject({ friend: true, friendUpdatedAt: LINKED_AT });
});

test("LINE's answer, older than what was recorded meanwhile: the newer state wins everywhere", async () => {
  const link = fresh();
  await friendships.record(link.lineUserId, false, AFTER);

  const result = await links.create(link, {}, { known: 'learned', friend: true, at: LINKED_AT });

  expect(result.link).toMatchObject({ friend: false, friendUpdatedAt: AFTER });
  expect(await friendRecord(link)).toMatchObject({ friend: false, friendUpdatedAt: AFTER });
  expect(await lineSide(link)).toMatchObject({ friend: false, friendUpdatedAt: AFTER });
});

test('the same pair again is idempotent and records nothing; a conflict on either side is refused', async () => {
  const link = fresh();
  await links.create(link, {}, { known: 'unknown' });
  const again = await links.create(
    { ...link, linkedAt: AFTER },
    {},
    { known: 'learned', friend: true, at: AFTER },
  );
  expect(again).toEqual({ link, created: false });
  expect(await friendRecord(link)).toBeUndefined();

  await friendships.record(link.lineUserId, true, BEFORE);
  const other = fresh();
  await expect(
    links.create({ ...link, companyUserId: other.companyUserId }, {}, { known: 'unknown' }),
  ).rejects.toBeInstanceOf(LineUserAlreadyLinkedError);
  await expect(
    links.create(
      { ...link, lineUserId: other.lineUserId },
      {},
      { known: 'learned', friend: true, at: AFTER },
    ),
  ).rejects.toBeInstanceOf(CompanyUserAlreadyLinkedError);
  expect(await stored(tables.links, `LINE#${other.lineUserId}`)).toBeUndefined();
  expect(await friendRecord(other)).toBeUndefined();
});

test('a follow recorded while the link is made ends on the link, every time (60 races)', async () => {
  const pairs = Array.from({ length: 60 }, () => fresh());
  await Promise.all(
    pairs.map((link, i) =>
      Promise.all([
        // Half the races start the follow first, half the link.
        i % 2 === 0
          ? friendships.record(link.lineUserId, true, BEFORE)
          : Promise.resolve().then(() => friendships.record(link.lineUserId, true, BEFORE)),
        links.create(
          link,
          {},
          i % 3 === 0
            ? { known: 'learned', friend: false, at: '2026-12-01T07:00:00.000Z' }
            : { known: 'unknown' },
        ),
      ]),
    ),
  );
  for (const link of pairs) {
    expect(await lineSide(link)).toMatchObject({ friend: true, friendUpdatedAt: BEFORE });
  }
});
