import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import {
  CompanyTokenReplayedError,
  CompanyUserAlreadyLinkedError,
  LineNonceRejectedError,
  LineUserAlreadyLinkedError,
  WriteContendedError,
} from '../../core/errors.js';
import { NonceUnavailableError, WebhookEventAppliedError } from '../../core/webhook-events.js';
import { nonceConsumeDelete, storedClaim, webhookClaimPut, withoutAttempt } from './webhook-items.js';
import { linkNonceConsume, usedLinkNonce } from './dynamo-link-nonce-store.js';
import type { Link, LinkMethod } from '../../core/link.js';
import type {
  CreateLinkResult,
  LinkContext,
  LinkDirectory,
  LinkFriendship,
  LinkGuard,
  LinkRepository,
  ReachableLink,
} from '../../core/ports/index.js';
import {
  friendKey,
  friendshipUpdate,
  NEWER_FRIENDSHIP,
  storedFriendship,
  type StoredFriendship,
} from './friendship-item.js';
import { booleanAttribute, oldItem, stringAttribute, type PlainItem } from './item-attribute.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Partition key of the LINE side of a link. */
export const lineKey = (lineUserId: string) => `LINE#${lineUserId}`;
/** Partition key of the company side of a link. */
export const companyKey = (companyUserId: string) => `COMPANY#${companyUserId}`;
/** Partition key (sessions table) of a company ID token's binding to a LINE user (a `company-token` guard). */
export const companyTokenKey = (tokenId: string) => `COMPANYTOKEN#${tokenId}`;

/** How often a transaction that lost a race (TransactionConflict) is tried again. */
const CONFLICT_RETRIES = 4;

/** How often a new link is tried again because the user's friendship changed under it. */
const FRIENDSHIP_RETRIES = 4;

/** Position of the friendship item in a link's transaction (after the two sides, before extra writes). */
const FRIENDSHIP_ITEM = 2;

/**
 * What a link's transaction does with the user's friendship (`FRIEND#…` in the messaging table):
 * asserts none is known (`expect-none`), asserts the state it read is still the newest
 * (`expect-seen`), or records the state LINE told, newest wins (`record`). The link starts with
 * the state of the last two.
 */
export type FriendshipPlan =
  | { kind: 'expect-none' }
  | { kind: 'expect-seen'; state: StoredFriendship }
  | { kind: 'record'; state: StoredFriendship };

/**
 * Extra writes that must commit or fail together with a link change (the audit trail adds its
 * event here), so that no change goes unrecorded.
 */
export type ExtraWrites = (change: {
  type: 'link' | 'unlink';
  link: Link;
  consentVersion?: string;
  /** The channel of the request's LINE token (an unlink's; a link's own is on the link). */
  channelId?: string;
}) => TransactItem[];

/**
 * Links in DynamoDB, each stored as two items (`LINE#…` and `COMPANY#…`) written by one
 * TransactWriteItems whose conditions make the table itself enforce one LINE user ↔ one company
 * user. A conflict is detected from the cancellation reasons of that same transaction
 * (ReturnValuesOnConditionCheckFailure), never by reading first.
 *
 * A new link asked to take over the user's friendship does it in that same transaction, on the
 * `FRIEND#…` item of `friendshipTable` (the messaging table, DynamoFriendshipStore's), so the
 * common case stays one round trip.
 *
 * Guards (LinkGuard) go last in the same transaction, one item each, built by one helper per
 * kind ({@link guardItem}); their cancellation reasons are read by position, so a refused guard
 * is told apart from a conflict however many items come before. `company-token` guards are
 * `COMPANYTOKEN#…` items of `sessionsTable`, expiring (TTL `expiresAt`) with their token;
 * `link-nonce` guards use up `LINKNONCE#…` items of the same table (DynamoLinkNonceStore's).
 */
export class DynamoLinkRepository implements LinkRepository, LinkDirectory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly extraWrites?: ExtraWrites,
    private readonly friendshipTable?: string,
    /** Where `company-token` guards are recorded (the sessions table). */
    private readonly sessionsTable?: string,
  ) {}

  async create(
    link: Link,
    context: LinkContext = {},
    friendship?: LinkFriendship,
    guards: readonly LinkGuard[] = [],
  ): Promise<CreateLinkResult> {
    if (friendship && this.friendshipTable === undefined) {
      throw new Error('DynamoLinkRepository: a friendship to take over needs the friendship table.');
    }
    const tables = this.tables();
    const extra = this.extraWrites?.({ type: 'link', link, consentVersion: context.consentVersion }) ?? [];
    // Identifies this call's own writes (a webhook claim found after a lost answer is ours).
    const attempt = randomUUID();
    const guardItems = guards.map((guard) => linkGuardItem(tables, guard, attempt));
    let plan: FriendshipPlan | undefined =
      friendship === undefined
        ? undefined
        : friendship.known === 'unknown'
          ? { kind: 'expect-none' }
          : { kind: 'record', state: { friend: friendship.friend, at: friendship.at } };

    for (let conflicts = 0, changes = 0; ;) {
      const stored = linkAsStored(link, plan);
      const items = linkTransactItems(tables, link, plan, extra, guardItems);
      const firstGuard = items.length - guardItems.length;
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: items }));
        return { link: stored, created: true };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        // This call's own transaction committed before (its answer was lost): the link is ours.
        if (ownClaim(guards, reasons, firstGuard, attempt)) return { link: stored, created: true };
        // A refused guard outranks everything else: a replayed credential learns nothing more.
        // A nonce spent on this very pair is a client's retry: the stored link answers it.
        refuseFailedGuards(guards, reasons, firstGuard, attempt);
        const existing = existingLink(link, reasons);
        if (!existing) refuseFailedGuards(guards, reasons, firstGuard, attempt, { retries: false });
        if (existing) {
          // The credential was spent on this pair: bind it now, as the new link would have.
          const bind = guards.flatMap((guard, i) =>
            bindsOnRelink(guard) ? [{ guard, item: guardItems[i]! }] : [],
          );
          if (bind.length > 0)
            await this.recordGuards(
              bind.map((b) => b.guard),
              bind.map((b) => b.item),
            );
          return { link: existing, created: false };
        }
        const friendshipReason: CancellationReason | undefined = plan ? reasons[FRIENDSHIP_ITEM] : undefined;
        const onlyFriendship =
          friendshipReason?.Code === 'ConditionalCheckFailed' &&
          reasons.every(
            (r, i) => i === FRIENDSHIP_ITEM || r.Code === 'None' || r.Code === 'TransactionConflict',
          );
        if (onlyFriendship && changes++ < FRIENDSHIP_RETRIES) {
          // A newer state than ours, or another than the one we saw: start over from it.
          const seen: StoredFriendship | undefined =
            storedFriendship(oldItem(friendshipReason?.Item)) ?? (await this.readFriendship(link.lineUserId));
          plan = seen ? { kind: 'expect-seen', state: seen } : { kind: 'expect-none' };
          continue;
        }
        if (
          !onlyFriendship &&
          reasons.some((r) => r.Code === 'TransactionConflict') &&
          conflicts < CONFLICT_RETRIES
        ) {
          await backoff(conflicts++);
          continue;
        }
        // Retries used up on the same records changing under us: the client may try again.
        if (onlyFriendship || reasons.some((r) => r.Code === 'TransactionConflict'))
          throw new WriteContendedError({ cause: error });
        throw error;
      }
    }
  }

  /** The tables the transaction items name. */
  private tables(): LinkTables {
    return { links: this.tableName, messaging: this.friendshipTable, sessions: this.sessionsTable };
  }

  /**
   * Records the guards of an idempotent relink, on their own (the link itself is already there).
   * Concurrent retries of the same request write the same binding, so a lost race is tried again.
   */
  private async recordGuards(guards: readonly LinkGuard[], items: TransactItem[]): Promise<void> {
    for (let conflicts = 0; ; conflicts++) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        refuseFailedGuards(guards, reasons, 0, '');
        if (!reasons.some((r) => r.Code === 'TransactionConflict')) throw error;
        if (conflicts >= CONFLICT_RETRIES) throw new WriteContendedError({ cause: error });
        await backoff(conflicts);
      }
    }
  }

  /** The user's friendship as now stored (when a cancellation reason did not carry the old item). */
  private async readFriendship(lineUserId: string): Promise<StoredFriendship | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.friendshipTable!,
        Key: { pk: friendKey(lineUserId) },
        ConsistentRead: true,
      }),
    );
    return storedFriendship(result.Item);
  }

  async findByLineUserId(lineUserId: string): Promise<Link | undefined> {
    return this.get(lineKey(lineUserId));
  }

  async findByCompanyUserId(companyUserId: string): Promise<Link | undefined> {
    return this.get(companyKey(companyUserId));
  }

  async deleteByLineUserId(
    lineUserId: string,
    context: { channelId?: string } = {},
  ): Promise<Link | undefined> {
    return this.deleteLink(() => this.findByLineUserId(lineUserId), context);
  }

  /** Removes a company user's link, both sides atomically (the admin unlink). */
  async deleteByCompanyUserId(companyUserId: string): Promise<Link | undefined> {
    return this.deleteLink(() => this.findByCompanyUserId(companyUserId), {});
  }

  /**
   * Many links at once with BatchGetItem (up to 100 keys a request, unprocessed keys sent again
   * with back-off): the company sides, then the LINE sides, where reachability (`friend`) is
   * kept. Eventually consistent: a send resolves thousands of recipients, and a link made a
   * second ago being missed is acceptable there.
   */
  async findManyByCompanyUserIds(companyUserIds: readonly string[]): Promise<Map<string, ReachableLink>> {
    const companySides = await this.batchGet([...new Set(companyUserIds)].map(companyKey));
    const lineSides = await this.batchGet(
      companySides.flatMap((item) => (typeof item.lineUserId === 'string' ? [lineKey(item.lineUserId)] : [])),
    );
    const found = new Map<string, ReachableLink>();
    for (const item of lineSides) {
      const link = toLink(item);
      if (link) found.set(link.companyUserId, { ...link, friend: link.friend ?? null });
    }
    return found;
  }

  /** The items of `pks` that exist, in no particular order. */
  private async batchGet(pks: readonly string[]): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    for (let start = 0; start < pks.length; start += 100) {
      let keys: Array<Record<string, unknown>> = pks.slice(start, start + 100).map((pk) => ({ pk }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 8) throw new Error(`BatchGetItem left ${keys.length} keys unprocessed after retries.`);
        if (attempt > 0) await backoff(attempt + 2);
        const result = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }),
        );
        items.push(...(result.Responses?.[this.tableName] ?? []));
        keys = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return items;
  }

  private async deleteLink(
    read: () => Promise<Link | undefined>,
    context: { channelId?: string },
  ): Promise<Link | undefined> {
    for (let attempt = 0; ; attempt++) {
      const link = await read();
      if (!link) return undefined;
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              ...unlinkDeletes(this.tableName, link),
              ...(this.extraWrites?.({ type: 'unlink', link, ...context }) ?? []),
            ],
          }),
        );
        return link;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        if (attempt >= CONFLICT_RETRIES) throw new WriteContendedError({ cause: error });
        await backoff(attempt);
      }
    }
  }

  private async get(pk: string): Promise<Link | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }),
    );
    return toLink(result.Item);
  }
}

/** The tables a link's transaction items name: the messaging and sessions tables only for what needs them. */
export interface LinkTables {
  links: string;
  /** Friendships, webhook claims and nonces. */
  messaging?: string | undefined;
  /** Where `company-token` guards are recorded. */
  sessions?: string | undefined;
}

/**
 * The items of a link's transaction, in the order {@link DynamoLinkRepository.create} reads the
 * cancellation reasons by: the two sides (with the friendship state `plan` carries), the
 * friendship item, the extra writes, then the guards' items ({@link linkGuardItem}). Pure, so that
 * the bench's bare baseline sends the very transaction the repository sends.
 */
export function linkTransactItems(
  tables: LinkTables,
  link: Link,
  plan: FriendshipPlan | undefined,
  extra: readonly TransactItem[] = [],
  guardItems: readonly TransactItem[] = [],
): TransactItem[] {
  return [
    ...linkPuts(tables.links, linkAsStored(link, plan)),
    ...(plan
      ? [
          friendshipItem(
            messagingTable(tables, 'a friendship to take over needs the friendship table'),
            link.lineUserId,
            plan,
          ),
        ]
      : []),
    ...extra,
    ...guardItems,
  ];
}

/** The link as its transaction stores it: with the friendship state the plan asserts or records. */
function linkAsStored(link: Link, plan: FriendshipPlan | undefined): Link {
  const state = plan && plan.kind !== 'expect-none' ? plan.state : undefined;
  return state ? { ...link, friend: state.friend, friendUpdatedAt: state.at } : link;
}

/**
 * The transaction item of one guard: a switch on its kind, one helper per kind. `attempt`
 * identifies the call's own writes (a webhook claim found after a lost answer is its own).
 */
export function linkGuardItem(tables: LinkTables, guard: LinkGuard, attempt: string): TransactItem {
  switch (guard.kind) {
    case 'company-token':
      return companyTokenItem(tables, guard);
    case 'webhook-event':
      return webhookClaimPut(messagingTable(tables, GUARD_NEEDS_MESSAGING), guard.claim, attempt, new Date());
    case 'account-link-nonce':
      return nonceConsumeDelete(
        messagingTable(tables, GUARD_NEEDS_MESSAGING),
        guard.nonce,
        guard.lineUserId,
        guard.now,
      );
    case 'link-nonce':
      if (tables.sessions === undefined) {
        throw new Error('DynamoLinkRepository: a link-nonce guard needs the sessions table.');
      }
      return linkNonceConsume(tables.sessions, guard, attempt);
  }
}

/** The messaging table (friendships, webhook claims, nonces); `missing` says who needed it. */
function messagingTable(tables: LinkTables, missing: string): string {
  if (tables.messaging === undefined) throw new Error(`DynamoLinkRepository: ${missing}.`);
  return tables.messaging;
}

const GUARD_NEEDS_MESSAGING = 'webhook-event and nonce guards need the messaging table';

/**
 * Binds a company ID token to the LINE user presenting it, until the token expires: free, or
 * already bound to this very user (a client's retry), else the transaction is cancelled.
 */
function companyTokenItem(
  tables: LinkTables,
  guard: Extract<LinkGuard, { kind: 'company-token' }>,
): TransactItem {
  if (tables.sessions === undefined) {
    throw new Error('DynamoLinkRepository: a company-token guard needs the sessions table.');
  }
  return {
    Put: {
      TableName: tables.sessions,
      Item: {
        pk: companyTokenKey(guard.tokenId),
        lineUserId: guard.lineUserId,
        expiresAt: guard.expiresAt,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR lineUserId = :u',
      ExpressionAttributeValues: { ':u': guard.lineUserId },
    },
  };
}

/** The two sides of a link, each conditional on its key being free; reachability on the LINE side only. */
function linkPuts(table: string, link: Link): TransactItem[] {
  const attributes = {
    lineUserId: link.lineUserId,
    companyUserId: link.companyUserId,
    method: link.method,
    linkedAt: link.linkedAt,
    ...(link.channelId !== undefined ? { channelId: link.channelId } : {}),
  };
  const reachability =
    link.friendUpdatedAt !== undefined ? { friend: link.friend, friendUpdatedAt: link.friendUpdatedAt } : {};
  return [
    {
      Put: {
        TableName: table,
        Item: { pk: lineKey(link.lineUserId), ...attributes, ...reachability },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Put: {
        TableName: table,
        Item: { pk: companyKey(link.companyUserId), ...attributes },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
  ];
}

/**
 * The friendship item of a link's transaction. Race-free against the webhook, which records a
 * state on `FRIEND#…` first and then on the link only if the link exists (newest wins): if its
 * write commits before ours, our condition fails and we start over from it; if after, our link
 * exists by then and the webhook updates it. Either way the link ends with the newest state.
 */
function friendshipItem(table: string, lineUserId: string, plan: FriendshipPlan): TransactItem {
  const target = { TableName: table, Key: { pk: friendKey(lineUserId) } };
  // The old item comes back with a failed condition: the state to start over from, without a read.
  const returnOld = { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } as const;
  switch (plan.kind) {
    case 'expect-none':
      return {
        ConditionCheck: {
          ...target,
          ConditionExpression: 'attribute_not_exists(friendUpdatedAt)',
          ...returnOld,
        },
      };
    case 'expect-seen':
      return {
        ConditionCheck: {
          ...target,
          ConditionExpression: 'friendUpdatedAt = :seen',
          ExpressionAttributeValues: { ':seen': plan.state.at },
          ...returnOld,
        },
      };
    case 'record':
      return {
        Update: {
          ...friendshipUpdate(target.TableName, target.Key.pk, plan.state, NEWER_FRIENDSHIP),
          ...returnOld,
        },
      };
  }
}

/**
 * The two deletes of an unlink, each conditional on its side still being the link that was read:
 * a side that is gone (removed by a concurrent unlink) or relinked cancels the transaction, so
 * an unlink removes a link at most once and records its `unlink` event at most once (the audit
 * trail replays to the table).
 */
export function unlinkDeletes(table: string, link: Link): TransactItem[] {
  return [
    {
      Delete: {
        TableName: table,
        Key: { pk: lineKey(link.lineUserId) },
        // The very link read: the same pair linked again since (a new linkedAt) is another link.
        ConditionExpression: 'companyUserId = :c AND linkedAt = :t',
        ExpressionAttributeValues: { ':c': link.companyUserId, ':t': link.linkedAt },
      },
    },
    {
      Delete: {
        TableName: table,
        Key: { pk: companyKey(link.companyUserId) },
        ConditionExpression: 'lineUserId = :l',
        ExpressionAttributeValues: { ':l': link.lineUserId },
      },
    },
  ];
}

/**
 * The link already stored when the cancellation reasons say a side of `link` is taken: the
 * stored link itself for the very same pair (an idempotent relink); otherwise the conflict.
 * @throws LineUserAlreadyLinkedError / CompanyUserAlreadyLinkedError
 */
function existingLink(link: Link, reasons: readonly CancellationReason[]): Link | undefined {
  const lineSide = reasons[0];
  const companySide = reasons[1];
  const lineTaken = lineSide?.Code === 'ConditionalCheckFailed';
  const companyTaken = companySide?.Code === 'ConditionalCheckFailed';
  if (!lineTaken && !companyTaken) return undefined;
  const existingLine = lineTaken ? toLink(oldItem(lineSide?.Item)) : undefined;
  const existingCompany = companyTaken ? toLink(oldItem(companySide?.Item)) : undefined;
  if (existingLine?.companyUserId === link.companyUserId && existingCompany?.lineUserId === link.lineUserId) {
    return existingLine;
  }
  if (existingLine && existingLine.companyUserId !== link.companyUserId) {
    throw new LineUserAlreadyLinkedError();
  }
  if (existingCompany && existingCompany.lineUserId !== link.lineUserId) {
    throw new CompanyUserAlreadyLinkedError();
  }
  // One side present and pointing at us, the other absent: only possible if the table was
  // edited by hand. Refuse rather than half-repair it.
  throw lineTaken ? new LineUserAlreadyLinkedError() : new CompanyUserAlreadyLinkedError();
}

/**
 * Throws the refusal of the first guard whose condition failed. `first` is the position of the
 * first guard among the transaction's items (guards come last, in the order given). With
 * `retries` (the default), a `link-nonce` already spent on this very pair passes: whether the
 * request is a retry depends on the pair still being linked, which the caller checks next.
 */
function refuseFailedGuards(
  guards: readonly LinkGuard[],
  reasons: readonly CancellationReason[],
  first: number,
  attempt: string,
  options: { retries: boolean } = { retries: true },
): void {
  guards.forEach((guard, i) => {
    const reason = reasons[first + i];
    if (reason?.Code !== 'ConditionalCheckFailed') return;
    const retry =
      guard.kind === 'link-nonce' && usedLinkNonce(oldItem(reason.Item), guard, attempt) === 'same-pair';
    if (!(retry && options.retries)) throw guardRefusal(guard, reason);
  });
}

/** Why a guard whose condition failed refuses the request: a switch on its kind, one answer per kind. */
function guardRefusal(guard: LinkGuard, reason: CancellationReason): Error {
  switch (guard.kind) {
    case 'company-token':
      // Its condition fails only when the token is bound to another LINE user.
      return new CompanyTokenReplayedError();
    case 'webhook-event': {
      const stored = storedClaim(oldItem(reason.Item));
      return stored ? new WebhookEventAppliedError(withoutAttempt(stored)) : new WriteContendedError();
    }
    case 'account-link-nonce':
      return new NonceUnavailableError();
    case 'link-nonce':
      // Unknown, expired, or spent on another link.
      return new LineNonceRejectedError();
  }
}

/**
 * Whether a guard is recorded on its own when the pair turns out to be linked already: a company
 * token is spent on that pair; a webhook claim and its nonce are committed by the webhook itself
 * then, with the relink's audit event; a link nonce stays unused (nothing was linked with it).
 */
function bindsOnRelink(guard: LinkGuard): boolean {
  return guard.kind === 'company-token';
}

/** Whether the transaction was cancelled by a webhook claim or a nonce use this very call wrote before. */
function ownClaim(
  guards: readonly LinkGuard[],
  reasons: readonly CancellationReason[],
  first: number,
  attempt: string,
): boolean {
  return guards.some((guard, i) => {
    const reason = reasons[first + i];
    if (reason?.Code !== 'ConditionalCheckFailed') return false;
    switch (guard.kind) {
      case 'webhook-event':
        return storedClaim(oldItem(reason.Item))?.attempt === attempt;
      case 'link-nonce':
        return usedLinkNonce(oldItem(reason.Item), guard, attempt) === 'own-write';
      default:
        return false;
    }
  });
}

/** Reads a link from a stored item (plain, as the document client returns it). */
function toLink(item: PlainItem | undefined): Link | undefined {
  if (!item) return undefined;
  const read = (name: string) => stringAttribute(item, name);
  const lineUserId = read('lineUserId');
  const companyUserId = read('companyUserId');
  const method = read('method') as LinkMethod | undefined;
  const linkedAt = read('linkedAt');
  if (!lineUserId || !companyUserId || !method || !linkedAt) return undefined;
  const channelId = read('channelId');
  // Reachability lives on the LINE side only (DynamoFriendshipStore); absent when never learned.
  const friend = booleanAttribute(item, 'friend');
  const friendUpdatedAt = read('friendUpdatedAt');
  return {
    lineUserId,
    companyUserId,
    method,
    linkedAt,
    ...(channelId ? { channelId } : {}),
    ...(friend !== undefined ? { friend } : {}),
    ...(friend !== undefined && friendUpdatedAt ? { friendUpdatedAt } : {}),
  };
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * 20 * 2 ** attempt;
  return new Promise((resolve) => setTimeout(resolve, ms));
}
