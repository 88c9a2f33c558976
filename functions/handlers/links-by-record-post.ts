import { linkByMemberRecord, type LinkByMemberRecordPorts } from '../core/use-cases/link-by-member-record.js';
import { featureDisabledHandler, memberLinkHandler } from './http/member-link-request.js';

/**
 * `POST /links/by-record` — pattern 3: member number and factors checked against the imported
 * records (keyed hashes). 201 new link, 200 same pair again, 409 conflict, 422
 * `verification-failed` (unknown member and wrong factor alike), 429 `too-many-attempts` with
 * `Retry-After` while the member, the LINE user or the client address is locked. Without
 * `MEMBER_HASH_PEPPER` (no ports: the pattern is off) the route answers 501 `feature-disabled`.
 */
export function createLinksByRecordPostHandler(ports: LinkByMemberRecordPorts | undefined) {
  return ports
    ? memberLinkHandler(linkByMemberRecord, ports)
    : featureDisabledHandler('Pattern 3 (imported member records)', 'MEMBER_HASH_PEPPER');
}
