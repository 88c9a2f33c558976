import { linkByMemberRecord, type LinkByMemberRecordPorts } from '../core/use-cases/link-by-member-record.js';
import { guardedMemberLinkPorts, memberLinkHandler } from './http/member-link-request.js';
import { factorHasher, memberRepository } from './wiring.js';

const ports: LinkByMemberRecordPorts = {
  ...guardedMemberLinkPorts(),
  members: memberRepository(),
  hasher: factorHasher(),
};

/**
 * `POST /links/by-record` — pattern 3: member number and factors checked against the imported
 * records (keyed hashes). 201 new link, 200 same pair again, 409 conflict, 422
 * `verification-failed` (unknown member and wrong factor alike), 429 `too-many-attempts` with
 * `Retry-After` while the member, the LINE user or the service is locked.
 */
export const handler = memberLinkHandler(linkByMemberRecord, ports);
