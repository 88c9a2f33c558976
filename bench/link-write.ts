import { randomUUID } from 'node:crypto';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../functions/adapters/dynamo/dynamo-audit-log.js';
import {
  linkGuardItem,
  linkTransactItems,
  unlinkDeletes,
  type FriendshipPlan,
} from '../functions/adapters/dynamo/dynamo-link-repository.js';
import type { Link } from '../functions/core/link.js';

/** The tables a new link's transaction writes to. */
export interface LinkWriteTables {
  links: string;
  messaging: string;
  sessions: string;
  audit: string;
}

/** One new link as a use case hands it to the repository. */
export interface NewLink {
  lineUserId: string;
  companyUserId: string;
  /** The channel of the LINE token that asked for the link. */
  channelId?: string;
  /** LINE's answer about the friendship (an access token's link); otherwise none may be known. */
  friend?: boolean;
  /** Binds a company ID token of its own to the user, as POST /links does (the web flow does not). */
  bindsCompanyToken?: boolean;
}

/**
 * Builds the TransactWriteItems of a new `oidc` link with the repository's own builder and the
 * audit log's event, as DynamoLinkRepository.create sends it on its first try: a bench's bare
 * baseline then sends the very transaction the project sends, and cannot drift from it.
 */
export function linkWriter(
  doc: DynamoDBDocumentClient,
  tables: LinkWriteTables,
): (input: NewLink) => TransactWriteCommand {
  const auditWrites = new DynamoAuditLog(doc, tables.audit).transactionWrites();
  const itemTables = { links: tables.links, messaging: tables.messaging, sessions: tables.sessions };
  return (input) => {
    const linkedAt = new Date().toISOString();
    const link: Link = {
      lineUserId: input.lineUserId,
      companyUserId: input.companyUserId,
      method: 'oidc',
      linkedAt,
      ...(input.channelId === undefined ? {} : { channelId: input.channelId }),
    };
    const plan: FriendshipPlan =
      input.friend === undefined
        ? { kind: 'expect-none' }
        : { kind: 'record', state: { friend: input.friend, at: linkedAt } };
    const token = { tokenId: randomUUID(), expiresAt: Math.floor(Date.now() / 1000) + 600 };
    const guards = input.bindsCompanyToken
      ? [
          linkGuardItem(
            itemTables,
            { kind: 'company-token', lineUserId: input.lineUserId, ...token },
            randomUUID(),
          ),
        ]
      : [];
    const items = linkTransactItems(itemTables, link, plan, auditWrites({ type: 'link', link }), guards);
    return new TransactWriteCommand({ TransactItems: items });
  };
}

/**
 * Builds the TransactWriteItems of an unlink as DynamoLinkRepository.deleteByLineUserId sends it
 * (both sides deleted while they are still this link, the `unlink` audit event with the request's
 * channel), from the repository's own items.
 */
export function unlinkWriter(
  doc: DynamoDBDocumentClient,
  tables: Pick<LinkWriteTables, 'links' | 'audit'>,
): (link: Link, channelId?: string) => TransactWriteCommand {
  const auditWrites = new DynamoAuditLog(doc, tables.audit).transactionWrites();
  return (link, channelId) =>
    new TransactWriteCommand({
      TransactItems: [
        ...unlinkDeletes(tables.links, link),
        ...auditWrites({ type: 'unlink', link, ...(channelId === undefined ? {} : { channelId }) }),
      ],
    });
}
