import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoLoginSessionStore } from '../../../../functions/adapters/dynamo/dynamo-login-session-store.js';
import { LoginStateError } from '../../../../functions/core/errors.js';
import type { LoginSession } from '../../../../functions/core/login-session.js';

/**
 * The web flow's login sessions against a mocked document client: the one conditional
 * DeleteItem that makes a state single-use, bound and unexpired, and how the old item that
 * DynamoDB returns on a failed condition (raw AttributeValues) tells the refusals apart.
 */

const TABLE = 'sessions';
const NOW = new Date('2026-12-01T04:00:00.000Z');
const NOW_SEC = NOW.getTime() / 1000;

const session: LoginSession = {
  state: 'S'.repeat(43),
  leg: 'company',
  nonce: 'n-123',
  codeVerifier: 'v-456',
  returnTo: 'https://app.example.com/done',
  bindingHash: 'b-hash',
  lineUserId: 'U1',
  lineChannelId: '1650000000',
  consentVersion: 'v3',
  linkToken: 'lt-789',
  expiresAt: NOW_SEC + 600,
};
/** The item: the state is only in the key. */
const storedItem = { ...session, pk: `LOGIN#company#${session.state}`, state: undefined };

const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
const ddb = mockClient(client);
beforeEach(() => ddb.reset());

const store = () => new DynamoLoginSessionStore(client, TABLE);
const consume = (bindingHash = 'b-hash') =>
  store().consume({ state: session.state, leg: 'company', bindingHash, now: NOW });

/** A failed condition as DynamoDB reports it, the old item (if any) in raw AttributeValue form. */
const conditionFailed = (old?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(old ? { Item: marshall(old, { removeUndefinedValues: true }) } : {}),
  });

const problemOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof LoginStateError ? error.problem : error),
  );

describe('create', () => {
  test('puts the session under its leg and state, refusing to overwrite one', async () => {
    ddb.on(PutCommand).resolves({});
    await store().create(session);
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: TABLE, Item: storedItem, ConditionExpression: 'attribute_not_exists(pk)' },
    ]);
  });

  test('a state that exists already is an error, not a hijack', async () => {
    const error = conditionFailed();
    ddb.on(PutCommand).rejects(error);
    await expect(store().create(session)).rejects.toBe(error);
  });
});

describe('consume', () => {
  test('one conditional delete: exists, unexpired and bound to the caller, returning the old item', async () => {
    ddb.on(DeleteCommand).resolves({ Attributes: storedItem });

    expect(await consume()).toEqual(session);
    expect(ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: { pk: `LOGIN#company#${session.state}` },
        ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND bindingHash = :binding',
        ExpressionAttributeValues: { ':now': NOW_SEC, ':binding': 'b-hash' },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
  });

  test('the leg is part of the key: a LINE state is looked up under LOGIN#line#', async () => {
    ddb.on(DeleteCommand).resolves({});
    await problemOf(store().consume({ state: 'abc', leg: 'line', bindingHash: 'h', now: NOW }));
    expect(ddb.commandCalls(DeleteCommand)[0]!.args[0].input.Key).toEqual({ pk: 'LOGIN#line#abc' });
  });

  test('a first-leg session without the optional attributes', async () => {
    const first = {
      pk: 'LOGIN#line#abc',
      leg: 'line',
      nonce: 'n',
      codeVerifier: 'v',
      returnTo: 'https://app.example.com/',
      bindingHash: 'h',
      expiresAt: NOW_SEC + 1,
    };
    ddb.on(DeleteCommand).resolves({ Attributes: first });
    expect(await store().consume({ state: 'abc', leg: 'line', bindingHash: 'h', now: NOW })).toStrictEqual({
      state: 'abc',
      leg: 'line',
      nonce: 'n',
      codeVerifier: 'v',
      returnTo: 'https://app.example.com/',
      bindingHash: 'h',
      expiresAt: NOW_SEC + 1,
    });
  });

  test.each([
    ['no old item returned', {}],
    ['an item with an unknown leg', { Attributes: { ...storedItem, leg: 'admin' } }],
    ['an item without its nonce', { Attributes: { ...storedItem, nonce: undefined } }],
    ['an item without its expiry', { Attributes: { ...storedItem, expiresAt: undefined } }],
  ])('%s: unknown', async (_, output) => {
    ddb.on(DeleteCommand).resolves(output);
    expect(await problemOf(consume())).toBe('unknown');
  });

  test('condition failed and no item: the state is unknown (never issued, or already used)', async () => {
    ddb.on(DeleteCommand).rejects(conditionFailed());
    expect(await problemOf(consume())).toBe('unknown');
  });

  test.each([
    ['at its expiry second', NOW_SEC],
    ['after it', NOW_SEC - 1],
  ])('condition failed on an item %s: expired (TTL deletion lags)', async (_, expiresAt) => {
    ddb.on(DeleteCommand).rejects(conditionFailed({ ...storedItem, expiresAt }));
    expect(await problemOf(consume())).toBe('expired');
  });

  test('condition failed on an item without a readable expiry: expired', async () => {
    ddb.on(DeleteCommand).rejects(conditionFailed({ ...storedItem, expiresAt: 'soon' }));
    expect(await problemOf(consume())).toBe('expired');
  });

  test('condition failed on an unexpired item: another browser (binding) holds the state', async () => {
    ddb.on(DeleteCommand).rejects(conditionFailed({ ...storedItem, expiresAt: NOW_SEC + 1 }));
    expect(await problemOf(consume('other-hash'))).toBe('not-bound');
  });

  test('other errors are thrown as they are', async () => {
    const error = new Error('throttled');
    ddb.on(DeleteCommand).rejects(error);
    expect(await problemOf(consume())).toBe(error);
  });
});
