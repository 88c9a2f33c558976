import type { LinkMethod } from './link.js';

/**
 * Link events for the company's CRM (docs/admin-api.md, "Link events"): what changed about a link,
 * learned from the links table's change stream, so none is missed. Only identifiers, the method,
 * times and reachability go out: never a token or a verification factor (link items hold none,
 * and only allow-listed attributes are read).
 */
export type LinkEventType = 'link.created' | 'link.removed' | 'link.reachability-changed';

export interface LinkEvent {
  type: LinkEventType;
  /** The stream record's event ID: the same change delivered twice carries the same key. */
  idempotencyKey: string;
  /** When DynamoDB recorded the change (ISO 8601). */
  at: string;
  lineUserId: string;
  companyUserId: string;
  method?: LinkMethod;
  linkedAt?: string;
  /** Friend of the Official Account, as last learned (`null` = never learned). */
  friend: boolean | null;
}

/** A change of one link item (plain attribute values), as a stream delivers it. */
export interface LinkItemChange {
  eventId: string;
  kind: 'INSERT' | 'MODIFY' | 'REMOVE';
  at: string;
  oldItem?: Record<string, unknown>;
  newItem?: Record<string, unknown>;
}

/**
 * The event of one item change, or undefined when it is not one to publish. A link is two items
 * (`LINE#…` and `COMPANY#…`, written in one transaction): only the LINE side is published, so
 * each change is published once.
 */
export function toLinkEvent(change: LinkItemChange): LinkEvent | undefined {
  const item = change.newItem ?? change.oldItem;
  if (!item || typeof item.pk !== 'string' || !item.pk.startsWith('LINE#')) return undefined;
  const str = (name: string) => (typeof item[name] === 'string' ? (item[name] as string) : undefined);
  const friendOf = (i: Record<string, unknown> | undefined) =>
    typeof i?.friend === 'boolean' ? i.friend : null;
  const lineUserId = str('lineUserId');
  const companyUserId = str('companyUserId');
  if (!lineUserId || !companyUserId) return undefined;
  let type: LinkEventType;
  if (change.kind === 'INSERT') type = 'link.created';
  else if (change.kind === 'REMOVE') type = 'link.removed';
  else if (friendOf(change.oldItem) !== friendOf(change.newItem)) type = 'link.reachability-changed';
  else return undefined;
  const method = str('method') as LinkMethod | undefined;
  const linkedAt = str('linkedAt');
  return {
    type,
    idempotencyKey: change.eventId,
    at: change.at,
    lineUserId,
    companyUserId,
    ...(method ? { method } : {}),
    ...(linkedAt ? { linkedAt } : {}),
    friend: friendOf(item),
  };
}
