import { jest } from '@jest/globals';
import {
  DynamoDBClient,
  TransactionCanceledException,
  type CancellationReason,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DynamoLinkRepository,
  type ExtraWrites,
} from '../../../../functions/adapters/dynamo/dynamo-link-repository.js';
import { linkNonceKey } from '../../../../functions/adapters/dynamo/dynamo-link-nonce-store.js';
import {
  CompanyUserAlreadyLinkedError,
  LineNonceRejectedError,
  LineUserAlreadyLinkedError,
} from '../../../../functions/core/errors.js';
import type { Link } from '../../../../functions/core/link.js';

/**
 * The link repository against a mocked document client: the exact writes it sends (the
 * conditions are what enforce one LINE user ↔ one company user), and how it reads each
 * cancellation reason DynamoDB can give back, which the integration tests only meet in races.
 */

const TABLE = 'links';
const link: Link = {
  lineUserId: 'U1',
  companyUserId: 'C1',
  method: 'oidc',
  linkedAt: '2026-12-01T00:00:00.000Z',
  channelId: '1650000000',
};

const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const ddb = mockClient(client);

beforeEach(() => {
  ddb.reset();
  // The retry back-off waits `Math.random() × …` ms: zero keeps the tests from sleeping.
  jest.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => jest.restoreAllMocks());

/** A stored link item as DynamoDB returns it in a cancellation reason: raw AttributeValues. */
const rawItem = (pk: string, stored: Partial<Link>) =>
  marshall({ pk, ...stored }, { removeUndefinedValues: true });

const none: CancellationReason = { Code: 'None' };
const conditionFailed = (item?: Record<string, unknown>): CancellationReason => ({
  Code: 'ConditionalCheckFailed',
  Message: 'The conditional request failed',
  ...(item ? { Item: item as CancellationReason['Item'] } : {}),
});
const canceled = (...reasons: CancellationReason[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    $metadata: {},
    CancellationReasons: reasons,
  });

const transactInputs = () =>
  ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input as TransactWriteCommandInput);

/** `link` as the two sides store it (no friend attributes unless `reachability` says so). */
const stored = {
  lineUserId: 'U1',
  companyUserId: 'C1',
  method: 'oidc',
  linkedAt: '2026-12-01T00:00:00.000Z',
  channelId: '1650000000',
};
/** The two conditional Puts of a new link, as the first items of its transaction. */
const sides = (reachability: Record<string, unknown> = {}) => [
  {
    Put: {
      TableName: TABLE,
      Item: { pk: 'LINE#U1', ...stored, ...reachability },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  },
  {
    Put: {
      TableName: TABLE,
      Item: { pk: 'COMPANY#C1', ...stored },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  },
];

describe('create', () => {
  test('writes both sides in one transaction, each conditional on its key being free', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const audit = { Put: { TableName: 'audit', Item: { pk: 'LINE#U1', sk: 'e' } } };
    const extraWrites = jest.fn<ExtraWrites>(() => [audit]);

    const result = await new DynamoLinkRepository(client, TABLE, extraWrites).create(link, {
      consentVersion: 'v3',
    });

    expect(result).toEqual({ link, created: true });
    expect(extraWrites).toHaveBeenCalledWith({ type: 'link', link, consentVersion: 'v3' });
    expect(transactInputs()).toEqual([{ TransactItems: [...sides(), audit] }]);
  });

  test('a link without a channel stores no channelId attribute', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const withoutChannel = { ...link, channelId: undefined };
    await new DynamoLinkRepository(client, TABLE).create(withoutChannel);
    const items = transactInputs()[0]!.TransactItems!;
    expect(items).toHaveLength(2);
    for (const item of items) expect(Object.keys(item.Put!.Item!)).not.toContain('channelId');
  });

  test('both sides already hold this very link: the stored link, not created (idempotent)', async () => {
    const storedAt = '2026-11-30T09:00:00.000Z';
    const existing = {
      ...link,
      linkedAt: storedAt,
      friend: true,
      friendUpdatedAt: '2026-11-30T10:00:00.000Z',
    };
    ddb
      .on(TransactWriteCommand)
      .rejects(
        canceled(
          conditionFailed(rawItem('LINE#U1', existing)),
          conditionFailed(rawItem('COMPANY#C1', { ...link, linkedAt: storedAt })),
        ),
      );

    const result = await new DynamoLinkRepository(client, TABLE).create(link);

    // The LINE side's item is returned, reachability included (it lives on that side only).
    expect(result).toEqual({ link: existing, created: false });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  test('the LINE side holds another company user: LineUserAlreadyLinkedError', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(canceled(conditionFailed(rawItem('LINE#U1', { ...link, companyUserId: 'C2' })), none));
    await expect(new DynamoLinkRepository(client, TABLE).create(link)).rejects.toBeInstanceOf(
      LineUserAlreadyLinkedError,
    );
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  test('the company side holds another LINE user: CompanyUserAlreadyLinkedError', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(canceled(none, conditionFailed(rawItem('COMPANY#C1', { ...link, lineUserId: 'U2' }))));
    await expect(new DynamoLinkRepository(client, TABLE).create(link)).rejects.toBeInstanceOf(
      CompanyUserAlreadyLinkedError,
    );
  });

  test('both sides taken by other users: the LINE side is reported', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(
        canceled(
          conditionFailed(rawItem('LINE#U1', { ...link, companyUserId: 'C2' })),
          conditionFailed(rawItem('COMPANY#C1', { ...link, lineUserId: 'U2' })),
        ),
      );
    await expect(new DynamoLinkRepository(client, TABLE).create(link)).rejects.toBeInstanceOf(
      LineUserAlreadyLinkedError,
    );
  });

  test('LINE side points at us but the company side is taken by another LINE user: company error', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(
        canceled(
          conditionFailed(rawItem('LINE#U1', link)),
          conditionFailed(rawItem('COMPANY#C1', { ...link, lineUserId: 'U2' })),
        ),
      );
    await expect(new DynamoLinkRepository(client, TABLE).create(link)).rejects.toBeInstanceOf(
      CompanyUserAlreadyLinkedError,
    );
  });

  test.each([
    ['LINE side', [conditionFailed(rawItem('LINE#U1', link)), none], LineUserAlreadyLinkedError],
    ['company side', [none, conditionFailed(rawItem('COMPANY#C1', link))], CompanyUserAlreadyLinkedError],
  ])(
    'half a link (only the %s, pointing at us): refused, never half-repaired',
    async (_, reasons, expected) => {
      ddb.on(TransactWriteCommand).rejects(canceled(...reasons));
      await expect(new DynamoLinkRepository(client, TABLE).create(link)).rejects.toBeInstanceOf(expected);
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    },
  );

  test.each([
    ['LINE side', [conditionFailed(), none], LineUserAlreadyLinkedError],
    ['company side', [none, conditionFailed()], CompanyUserAlreadyLinkedError],
    ['an unreadable item', [conditionFailed({ pk: { S: 'LINE#U1' } }), none], LineUserAlreadyLinkedError],
  ])('a failed condition without the old item (%s) still names the side', async (_, reasons, expected) => {
    ddb.on(TransactWriteCommand).rejects(canceled(...reasons));
    await expect(new DynamoLinkRepository(client, TABLE).create(link)).rejects.toBeInstanceOf(expected);
  });

  test('TransactionConflict: the same transaction is tried again until it commits', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(canceled({ Code: 'TransactionConflict' }, none))
      .rejectsOnce(canceled(none, { Code: 'TransactionConflict' }))
      .resolves({});

    const result = await new DynamoLinkRepository(client, TABLE).create(link);

    expect(result).toEqual({ link, created: true });
    const inputs = transactInputs();
    expect(inputs).toHaveLength(3);
    expect(inputs[1]).toEqual(inputs[0]);
    expect(inputs[2]).toEqual(inputs[0]);
  });

  test('TransactionConflict that never clears: write-contended after 4 retries, the cancellation as its cause', async () => {
    const conflict = canceled({ Code: 'TransactionConflict' }, none);
    ddb.on(TransactWriteCommand).rejects(conflict);
    await expect(new DynamoLinkRepository(client, TABLE).create(link)).rejects.toMatchObject({
      code: 'write-contended',
      cause: conflict,
    });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(5);
  });

  test('a conflict then a taken side: the domain error of that side', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(canceled({ Code: 'TransactionConflict' }, none))
      .rejects(canceled(conditionFailed(rawItem('LINE#U1', { ...link, companyUserId: 'C2' })), none));
    await expect(new DynamoLinkRepository(client, TABLE).create(link)).rejects.toBeInstanceOf(
      LineUserAlreadyLinkedError,
    );
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  test.each([
    ['the audit write failed its condition', canceled(none, none, conditionFailed())],
    ['throughput exceeded', canceled({ Code: 'ThrottlingError' }, none)],
    ['a validation error', canceled({ Code: 'ValidationError' }, none)],
  ])('any other cancellation (%s) is thrown as is, without retry', async (_, error) => {
    ddb.on(TransactWriteCommand).rejects(error);
    await expect(new DynamoLinkRepository(client, TABLE).create(link)).rejects.toBe(error);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  test('errors that are not cancellations are thrown as is', async () => {
    const error = new Error('network down');
    ddb.on(TransactWriteCommand).rejects(error);
    await expect(new DynamoLinkRepository(client, TABLE).create(link)).rejects.toBe(error);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});

describe('find', () => {
  test('by LINE user: one strongly consistent GetItem on the LINE side', async () => {
    ddb.on(GetCommand).resolves({ Item: { pk: 'LINE#U1', ...link, friend: false, friendUpdatedAt: 't' } });
    const found = await new DynamoLinkRepository(client, TABLE).findByLineUserId('U1');
    expect(found).toEqual({ ...link, friend: false, friendUpdatedAt: 't' });
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: TABLE, Key: { pk: 'LINE#U1' }, ConsistentRead: true },
    ]);
  });

  test('by company user: the company side', async () => {
    ddb.on(GetCommand).resolves({ Item: { pk: 'COMPANY#C1', ...link } });
    expect(await new DynamoLinkRepository(client, TABLE).findByCompanyUserId('C1')).toEqual(link);
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: 'COMPANY#C1' },
      ConsistentRead: true,
    });
  });

  test('no item, or an item missing a required attribute: no link', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({ Item: { pk: 'LINE#U1', lineUserId: 'U1', method: 'oidc' } });
    const repository = new DynamoLinkRepository(client, TABLE);
    expect(await repository.findByLineUserId('U1')).toBeUndefined();
    expect(await repository.findByLineUserId('U1')).toBeUndefined();
  });

  test('friendUpdatedAt without a friend value is not reported', async () => {
    ddb.on(GetCommand).resolves({ Item: { pk: 'LINE#U1', ...link, friendUpdatedAt: 't' } });
    expect(await new DynamoLinkRepository(client, TABLE).findByLineUserId('U1')).toEqual(link);
  });
});

describe('delete', () => {
  const deleteTransaction = (extra: unknown[] = []) => ({
    TransactItems: [
      {
        Delete: {
          TableName: TABLE,
          Key: { pk: 'LINE#U1' },
          // The very link read: the same pair linked again since is another link.
          ConditionExpression: 'companyUserId = :c AND linkedAt = :t',
          ExpressionAttributeValues: { ':c': 'C1', ':t': link.linkedAt },
        },
      },
      {
        Delete: {
          TableName: TABLE,
          Key: { pk: 'COMPANY#C1' },
          ConditionExpression: 'lineUserId = :l',
          ExpressionAttributeValues: { ':l': 'U1' },
        },
      },
      ...extra,
    ],
  });

  test('by LINE user: reads the link, then deletes exactly it on both sides with the audit event', async () => {
    ddb.on(GetCommand).resolves({ Item: { pk: 'LINE#U1', ...link } });
    ddb.on(TransactWriteCommand).resolves({});
    const audit = { Put: { TableName: 'audit', Item: { pk: 'LINE#U1', sk: 'e' } } };
    const extraWrites = jest.fn<ExtraWrites>(() => [audit]);

    const deleted = await new DynamoLinkRepository(client, TABLE, extraWrites).deleteByLineUserId('U1', {
      channelId: '1650000001',
    });

    expect(deleted).toEqual(link);
    expect(extraWrites).toHaveBeenCalledWith({ type: 'unlink', link, channelId: '1650000001' });
    expect(transactInputs()).toEqual([deleteTransaction([audit])]);
  });

  test('by company user (admin unlink): reads the company side, same transaction', async () => {
    ddb.on(GetCommand, { Key: { pk: 'COMPANY#C1' } }).resolves({ Item: { pk: 'COMPANY#C1', ...link } });
    ddb.on(TransactWriteCommand).resolves({});
    expect(await new DynamoLinkRepository(client, TABLE).deleteByCompanyUserId('C1')).toEqual(link);
    expect(transactInputs()).toEqual([deleteTransaction()]);
  });

  test('no link: nothing is written', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await new DynamoLinkRepository(client, TABLE).deleteByLineUserId('U1')).toBeUndefined();
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  test('relinked meanwhile (condition failed): reads again and deletes the new link', async () => {
    const relinked = { ...link, companyUserId: 'C9' };
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { pk: 'LINE#U1', ...link } })
      .resolves({ Item: { pk: 'LINE#U1', ...relinked } });
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(canceled(conditionFailed(rawItem('LINE#U1', relinked)), none))
      .resolves({});

    expect(await new DynamoLinkRepository(client, TABLE).deleteByLineUserId('U1')).toEqual(relinked);
    const inputs = transactInputs();
    expect(inputs).toHaveLength(2);
    expect(inputs[1]!.TransactItems![0]!.Delete!.ExpressionAttributeValues).toEqual({
      ':c': 'C9',
      ':t': link.linkedAt,
    });
    expect(inputs[1]!.TransactItems![1]!.Delete!.Key).toEqual({ pk: 'COMPANY#C9' });
  });

  test('unlinked meanwhile: the second read finds nothing and nothing more is written', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { pk: 'LINE#U1', ...link } })
      .resolves({});
    ddb.on(TransactWriteCommand).rejects(canceled({ Code: 'TransactionConflict' }, none));
    expect(await new DynamoLinkRepository(client, TABLE).deleteByLineUserId('U1')).toBeUndefined();
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  test('a cancellation that never clears: write-contended after 4 retries', async () => {
    ddb.on(GetCommand).resolves({ Item: { pk: 'LINE#U1', ...link } });
    const conflict = canceled({ Code: 'TransactionConflict' }, none);
    ddb.on(TransactWriteCommand).rejects(conflict);
    await expect(new DynamoLinkRepository(client, TABLE).deleteByLineUserId('U1')).rejects.toMatchObject({
      code: 'write-contended',
      cause: conflict,
    });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(5);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(5);
  });

  test('errors that are not cancellations are thrown without retry', async () => {
    ddb.on(GetCommand).resolves({ Item: { pk: 'LINE#U1', ...link } });
    const error = new Error('network down');
    ddb.on(TransactWriteCommand).rejects(error);
    await expect(new DynamoLinkRepository(client, TABLE).deleteByLineUserId('U1')).rejects.toBe(error);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});

describe('findManyByCompanyUserIds', () => {
  const item = (n: number, side: 'LINE' | 'COMPANY', extra: Record<string, unknown> = {}) => ({
    pk: side === 'LINE' ? `LINE#U${n}` : `COMPANY#C${n}`,
    lineUserId: `U${n}`,
    companyUserId: `C${n}`,
    method: 'api',
    linkedAt: '2026-12-01T00:00:00.000Z',
    ...extra,
  });
  const keysOf = (call: { args: [{ input: unknown }] }) =>
    (call.args[0].input as { RequestItems: Record<string, { Keys: Array<{ pk: string }> }> }).RequestItems[
      TABLE
    ]!.Keys.map((k) => k.pk);

  test('company sides first (deduplicated), then the LINE sides they point at; reachability from the LINE side', async () => {
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [item(1, 'COMPANY'), item(2, 'COMPANY')] } })
      .resolvesOnce({
        Responses: { [TABLE]: [item(1, 'LINE', { friend: true, friendUpdatedAt: 't' }), item(2, 'LINE')] },
      });

    const found = await new DynamoLinkRepository(client, TABLE).findManyByCompanyUserIds([
      'C1',
      'C2',
      'C3',
      'C1',
    ]);

    const calls = ddb.commandCalls(BatchGetCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      {
        RequestItems: {
          [TABLE]: { Keys: [{ pk: 'COMPANY#C1' }, { pk: 'COMPANY#C2' }, { pk: 'COMPANY#C3' }] },
        },
      },
      { RequestItems: { [TABLE]: { Keys: [{ pk: 'LINE#U1' }, { pk: 'LINE#U2' }] } } },
    ]);
    expect([...found.entries()]).toEqual([
      [
        'C1',
        {
          lineUserId: 'U1',
          companyUserId: 'C1',
          method: 'api',
          linkedAt: '2026-12-01T00:00:00.000Z',
          friend: true,
          friendUpdatedAt: 't',
        },
      ],
      [
        'C2',
        {
          lineUserId: 'U2',
          companyUserId: 'C2',
          method: 'api',
          linkedAt: '2026-12-01T00:00:00.000Z',
          friend: null,
        },
      ],
    ]);
  });

  test('at most 100 keys a request', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
    const ids = Array.from({ length: 250 }, (_, i) => `C${i}`);
    expect((await new DynamoLinkRepository(client, TABLE).findManyByCompanyUserIds(ids)).size).toBe(0);
    expect(ddb.commandCalls(BatchGetCommand).map((c) => keysOf(c).length)).toEqual([100, 100, 50]);
  });

  test('unprocessed keys are asked for again, and only they', async () => {
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [item(1, 'COMPANY')] },
        UnprocessedKeys: { [TABLE]: { Keys: [{ pk: 'COMPANY#C2' }] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [item(2, 'COMPANY')] }, UnprocessedKeys: {} })
      .resolvesOnce({ Responses: { [TABLE]: [item(1, 'LINE'), item(2, 'LINE')] } });

    const found = await new DynamoLinkRepository(client, TABLE).findManyByCompanyUserIds(['C1', 'C2']);

    expect(ddb.commandCalls(BatchGetCommand).map(keysOf)).toEqual([
      ['COMPANY#C1', 'COMPANY#C2'],
      ['COMPANY#C2'],
      ['LINE#U1', 'LINE#U2'],
    ]);
    expect([...found.keys()]).toEqual(['C1', 'C2']);
  });

  test('keys still unprocessed after 8 retries: an error, not a silently short answer', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [] },
      UnprocessedKeys: { [TABLE]: { Keys: [{ pk: 'COMPANY#C1' }] } },
    });
    await expect(new DynamoLinkRepository(client, TABLE).findManyByCompanyUserIds(['C1'])).rejects.toThrow(
      'BatchGetItem left 1 keys unprocessed after retries.',
    );
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(9);
  });

  test('no IDs: no request', async () => {
    expect((await new DynamoLinkRepository(client, TABLE).findManyByCompanyUserIds([])).size).toBe(0);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('create, taking over the friendship (FRIEND#… in the messaging table, item 2)', () => {
  const MESSAGING = 'messaging';
  const LEARNED_AT = '2026-12-01T00:00:00.000Z';
  const KNOWN_AT = '2026-11-30T12:00:00.000Z';
  const NEWER_AT = '2026-12-01T01:00:00.000Z';
  const audit = { Put: { TableName: 'audit', Item: { pk: 'LINE#U1', sk: 'e' } } };
  const repository = () => new DynamoLinkRepository(client, TABLE, () => [audit], MESSAGING);
  const noneKnown = {
    ConditionCheck: {
      TableName: MESSAGING,
      Key: { pk: 'FRIEND#U1' },
      ConditionExpression: 'attribute_not_exists(friendUpdatedAt)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
  const stillSeen = (at: string) => ({
    ConditionCheck: {
      TableName: MESSAGING,
      Key: { pk: 'FRIEND#U1' },
      ConditionExpression: 'friendUpdatedAt = :seen',
      ExpressionAttributeValues: { ':seen': at },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  });
  const recordNewer = {
    Update: {
      TableName: MESSAGING,
      Key: { pk: 'FRIEND#U1' },
      UpdateExpression: 'SET friend = :friend, friendUpdatedAt = :at',
      ConditionExpression: '(attribute_not_exists(friendUpdatedAt) OR friendUpdatedAt < :at)',
      ExpressionAttributeValues: { ':friend': true, ':at': LEARNED_AT },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
  const friendItem = (friend: boolean, at: string) =>
    marshall({ pk: 'FRIEND#U1', friend, friendUpdatedAt: at });
  const learned = { known: 'learned', friend: true, at: LEARNED_AT } as const;

  test('unknown, and none known: one transaction asserting none is known; the link has no friend', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await repository().create(link, {}, { known: 'unknown' })).toEqual({ link, created: true });
    expect(transactInputs()).toEqual([{ TransactItems: [...sides(), noneKnown, audit] }]);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  test('unknown, but a state is known (the check returns it): again with it, asserting it is unchanged', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(canceled(none, none, conditionFailed(friendItem(true, KNOWN_AT)), none))
      .resolves({});

    const result = await repository().create(link, {}, { known: 'unknown' });

    expect(result).toEqual({ link: { ...link, friend: true, friendUpdatedAt: KNOWN_AT }, created: true });
    expect(transactInputs()).toEqual([
      { TransactItems: [...sides(), noneKnown, audit] },
      {
        TransactItems: [...sides({ friend: true, friendUpdatedAt: KNOWN_AT }), stillSeen(KNOWN_AT), audit],
      },
    ]);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  test('a failed check without the old item: the state is read (consistent read) instead', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(canceled(none, none, conditionFailed(), none))
      .resolves({});
    ddb.on(GetCommand).resolves({ Item: { pk: 'FRIEND#U1', friend: false, friendUpdatedAt: KNOWN_AT } });

    const result = await repository().create(link, {}, { known: 'unknown' });

    expect(result.link).toEqual({ ...link, friend: false, friendUpdatedAt: KNOWN_AT });
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: MESSAGING, Key: { pk: 'FRIEND#U1' }, ConsistentRead: true },
    ]);
    expect(transactInputs()[1]!.TransactItems![2]).toEqual(stillSeen(KNOWN_AT));
  });

  test('the state seen changed again (or was erased): follows it, each time asserting what it saw', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(canceled(none, none, conditionFailed(friendItem(true, KNOWN_AT)), none))
      .rejectsOnce(canceled(none, none, conditionFailed(friendItem(false, NEWER_AT)), none))
      .rejectsOnce(canceled(none, none, conditionFailed(), none))
      .resolves({});
    ddb.on(GetCommand).resolves({});

    const result = await repository().create(link, {}, { known: 'unknown' });

    expect(result.link).toEqual(link);
    expect(transactInputs().map((input) => input.TransactItems![2])).toEqual([
      noneKnown,
      stillSeen(KNOWN_AT),
      stillSeen(NEWER_AT),
      noneKnown,
    ]);
    expect(transactInputs()[2]!.TransactItems![0]!.Put!.Item).toMatchObject({
      friend: false,
      friendUpdatedAt: NEWER_AT,
    });
  });

  test('a friendship that keeps changing: write-contended after 4 retries', async () => {
    const changed = canceled(none, none, conditionFailed(friendItem(true, KNOWN_AT)), none);
    ddb.on(TransactWriteCommand).rejects(changed);
    await expect(repository().create(link, {}, { known: 'unknown' })).rejects.toMatchObject({
      code: 'write-contended',
      cause: changed,
    });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(5);
  });

  test('learned: recorded newest-wins in the same transaction, and on the link', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const result = await repository().create(link, {}, learned);
    expect(result).toEqual({ link: { ...link, friend: true, friendUpdatedAt: LEARNED_AT }, created: true });
    expect(transactInputs()).toEqual([
      { TransactItems: [...sides({ friend: true, friendUpdatedAt: LEARNED_AT }), recordNewer, audit] },
    ]);
  });

  test('learned, but a newer state was recorded meanwhile: the link takes that one, asserting it', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(canceled(none, none, conditionFailed(friendItem(false, NEWER_AT)), none))
      .resolves({});

    const result = await repository().create(link, {}, learned);

    expect(result.link).toEqual({ ...link, friend: false, friendUpdatedAt: NEWER_AT });
    expect(transactInputs()[1]).toEqual({
      TransactItems: [...sides({ friend: false, friendUpdatedAt: NEWER_AT }), stillSeen(NEWER_AT), audit],
    });
  });

  test('the same pair again: the stored link, whatever the friendship item says; nothing retried', async () => {
    const storedLink = {
      ...link,
      linkedAt: '2026-11-30T09:00:00.000Z',
      friend: false,
      friendUpdatedAt: KNOWN_AT,
    };
    ddb
      .on(TransactWriteCommand)
      .rejects(
        canceled(
          conditionFailed(rawItem('LINE#U1', storedLink)),
          conditionFailed(rawItem('COMPANY#C1', link)),
          conditionFailed(friendItem(false, KNOWN_AT)),
          none,
        ),
      );
    expect(await repository().create(link, {}, learned)).toEqual({ link: storedLink, created: false });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  test.each([
    [
      'LINE side',
      [conditionFailed(rawItem('LINE#U1', { ...link, companyUserId: 'C2' })), none, none, none],
      LineUserAlreadyLinkedError,
    ],
    [
      'LINE side, friendship known too',
      [
        conditionFailed(rawItem('LINE#U1', { ...link, companyUserId: 'C2' })),
        none,
        conditionFailed(friendItem(true, KNOWN_AT)),
        none,
      ],
      LineUserAlreadyLinkedError,
    ],
    [
      'company side, friendship known too',
      [
        none,
        conditionFailed(rawItem('COMPANY#C1', { ...link, lineUserId: 'U2' })),
        conditionFailed(friendItem(true, KNOWN_AT)),
        none,
      ],
      CompanyUserAlreadyLinkedError,
    ],
  ])('a conflict on the %s: its domain error, without retry', async (_, reasons, expected) => {
    ddb.on(TransactWriteCommand).rejects(canceled(...reasons));
    await expect(repository().create(link, {}, { known: 'unknown' })).rejects.toBeInstanceOf(expected);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  test('TransactionConflict on the friendship item (a webhook writing it): the same transaction again', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(canceled(none, none, { Code: 'TransactionConflict' }, none))
      .resolves({});
    await repository().create(link, {}, learned);
    const inputs = transactInputs();
    expect(inputs).toHaveLength(2);
    expect(inputs[1]).toEqual(inputs[0]);
  });

  test.each([
    ['the audit write (item 3) failed its condition', canceled(none, none, none, conditionFailed())],
    [
      'the friendship item and the audit write failed',
      canceled(none, none, conditionFailed(friendItem(true, KNOWN_AT)), conditionFailed()),
    ],
    ['the friendship item was throttled', canceled(none, none, { Code: 'ThrottlingError' }, none)],
  ])('any other cancellation (%s) is thrown as is, without retry', async (_, error) => {
    ddb.on(TransactWriteCommand).rejects(error);
    await expect(repository().create(link, {}, { known: 'unknown' })).rejects.toBe(error);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  test('a repository without the friendship table refuses a friendship rather than ignore it', async () => {
    await expect(
      new DynamoLinkRepository(client, TABLE).create(link, {}, { known: 'unknown' }),
    ).rejects.toThrow('needs the friendship table');
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('create with a link-nonce guard (LINKNONCE#… in the sessions table, after the two sides)', () => {
  const repo = new DynamoLinkRepository(client, TABLE, undefined, undefined, 'sessions');
  const now = new Date('2026-12-01T00:00:00.000Z');
  const guard = { kind: 'link-nonce', nonce: 'N0NCE', lineUserId: 'U1', companyUserId: 'C1', now } as const;
  const nonceItem = (used: { usedBy: string; usedAttempt: string }) =>
    marshall({ pk: linkNonceKey('N0NCE'), expiresAt: 1_800_000_000, ...used });
  /** Every transaction cancelled with the two sides taken by `existing` and the nonce as `used` says. */
  const cancelWith = (
    existing: Partial<Link> | undefined,
    used: (attempt: string) => Record<string, unknown>,
  ) =>
    ddb.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => {
      const attempt = String(input.TransactItems!.at(-1)!.Update!.ExpressionAttributeValues![':attempt']);
      throw canceled(
        existing ? conditionFailed(rawItem('LINE#U1', existing)) : none,
        existing ? conditionFailed(rawItem('COMPANY#C1', existing)) : none,
        conditionFailed(used(attempt)),
      );
    });

  it('uses the nonce up in the link transaction: unexpired, never used, keyed by its hash', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await expect(repo.create(link, {}, undefined, [guard])).resolves.toMatchObject({ created: true });
    const item = transactInputs()[0]!.TransactItems![2]!.Update!;
    expect(item).toMatchObject({
      TableName: 'sessions',
      Key: { pk: linkNonceKey('N0NCE') },
      ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND attribute_not_exists(usedBy)',
      ExpressionAttributeValues: { ':pair': 'U1 C1', ':now': now.getTime() / 1000 },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(JSON.stringify(item.Key)).not.toContain('N0NCE');
  });

  it("this call's own write found after a lost answer: created", async () => {
    cancelWith(link, (attempt) => nonceItem({ usedBy: 'U1 C1', usedAttempt: attempt }));
    await expect(repo.create(link, {}, undefined, [guard])).resolves.toMatchObject({ created: true });
  });

  it("a client's retry (spent on this pair, the pair linked): the existing link, not created", async () => {
    cancelWith(link, () => nonceItem({ usedBy: 'U1 C1', usedAttempt: 'an earlier request' }));
    await expect(repo.create(link, {}, undefined, [guard])).resolves.toMatchObject({ created: false });
  });

  it('spent on this pair, the pair no longer linked: refused', async () => {
    cancelWith(undefined, () => nonceItem({ usedBy: 'U1 C1', usedAttempt: 'an earlier request' }));
    await expect(repo.create(link, {}, undefined, [guard])).rejects.toBeInstanceOf(LineNonceRejectedError);
  });

  it('spent on another link, or unknown / expired (no item): refused before the conflict', async () => {
    cancelWith({ ...link, companyUserId: 'C2' }, () => nonceItem({ usedBy: 'U9 C1', usedAttempt: 'x' }));
    await expect(repo.create(link, {}, undefined, [guard])).rejects.toBeInstanceOf(LineNonceRejectedError);
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(canceled(none, none, conditionFailed()));
    await expect(repo.create(link, {}, undefined, [guard])).rejects.toBeInstanceOf(LineNonceRejectedError);
  });
});
