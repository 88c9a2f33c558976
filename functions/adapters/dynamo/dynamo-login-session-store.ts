import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LoginStateError } from '../../core/errors.js';
import type { LoginLeg, LoginSession } from '../../core/login-session.js';
import type { LoginSessionStore } from '../../core/ports/index.js';
import { numberAttribute, oldItem, stringAttribute, type PlainItem } from './item-attribute.js';

/** Partition key of a login session: the leg is part of it, so a state only works at its own callback. */
export const sessionKey = (leg: LoginLeg, state: string) => `LOGIN#${leg}#${state}`;

/**
 * Login sessions of the web flow in the `sessions` table (TTL attribute `expiresAt`, epoch
 * seconds; DynamoDB removes expired items within hours, so expiry is also part of the condition).
 *
 * {@link consume} is one conditional DeleteItem returning the deleted item: the item must exist,
 * be unexpired and carry the caller's binding hash. DynamoDB applies the condition and the
 * delete atomically, so of concurrent callbacks with one state exactly one gets the session and
 * the others see it gone; a refused delete removes nothing. The old item returned on a failed
 * condition (ReturnValuesOnConditionCheckFailure) tells expired from not-bound without a read.
 */
export class DynamoLoginSessionStore implements LoginSessionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(session: LoginSession): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: sessionKey(session.leg, session.state),
          leg: session.leg,
          nonce: session.nonce,
          codeVerifier: session.codeVerifier,
          returnTo: session.returnTo,
          bindingHash: session.bindingHash,
          lineUserId: session.lineUserId,
          lineChannelId: session.lineChannelId,
          consentVersion: session.consentVersion,
          linkToken: session.linkToken,
          expiresAt: session.expiresAt,
        },
        // 192 random bits never collide; if they did, refuse rather than hijack another session.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async consume(key: {
    state: string;
    leg: LoginLeg;
    bindingHash: string;
    now: Date;
  }): Promise<LoginSession> {
    const nowSec = Math.floor(key.now.getTime() / 1000);
    try {
      const result = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: sessionKey(key.leg, key.state) },
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND bindingHash = :binding',
          ExpressionAttributeValues: { ':now': nowSec, ':binding': key.bindingHash },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const session = toSession(key.state, result.Attributes);
      if (!session) throw new LoginStateError('unknown');
      return session;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = oldItem(error.Item);
      if (!old) throw new LoginStateError('unknown');
      const expiresAt = numberAttribute(old, 'expiresAt');
      if (expiresAt === undefined || expiresAt <= nowSec) throw new LoginStateError('expired');
      throw new LoginStateError('not-bound');
    }
  }
}

/** Reads a session from its stored item (plain, as the document client returns it). */
function toSession(state: string, item: PlainItem | undefined): LoginSession | undefined {
  if (!item) return undefined;
  const read = (name: string) => stringAttribute(item, name);
  const leg = read('leg');
  const nonce = read('nonce');
  const codeVerifier = read('codeVerifier');
  const returnTo = read('returnTo');
  const bindingHash = read('bindingHash');
  const expiresAt = numberAttribute(item, 'expiresAt');
  if (
    (leg !== 'line' && leg !== 'company') ||
    !nonce ||
    !codeVerifier ||
    !returnTo ||
    !bindingHash ||
    expiresAt === undefined
  )
    return undefined;
  const lineUserId = read('lineUserId');
  const lineChannelId = read('lineChannelId');
  const consentVersion = read('consentVersion');
  const linkToken = read('linkToken');
  return {
    state,
    leg,
    nonce,
    codeVerifier,
    returnTo,
    bindingHash,
    expiresAt,
    ...(lineUserId ? { lineUserId } : {}),
    ...(lineChannelId ? { lineChannelId } : {}),
    ...(consentVersion ? { consentVersion } : {}),
    ...(linkToken ? { linkToken } : {}),
  };
}
