import { randomUUID } from 'node:crypto';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../functions/adapters/dynamo/dynamo-audit-log.js';
import {
  linkGuardItem,
  linkTransactItems,
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
  /** The company ID token spent on the link (POST /links binds it); none for the web flow. */
  companyToken?: { tokenId: string; expiresAt: number };
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
    const guards = input.companyToken
      ? [
          linkGuardItem(
            itemTables,
            { kind: 'company-token', lineUserId: input.lineUserId, ...input.companyToken },
            randomUUID(),
          ),
        ]
      : [];
    const items = linkTransactItems(itemTables, link, plan, auditWrites({ type: 'link', link }), guards);
    return new TransactWriteCommand({ TransactItems: items });
  };
}
