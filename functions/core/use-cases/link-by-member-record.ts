import { constantTimeEqual } from '../member-factors.js';
import type { CreateLinkResult, FactorHasher, MemberRecordRepository } from '../ports/index.js';
import {
  guardedMemberLink,
  type GuardedMemberLinkPorts,
  type MemberLinkInput,
} from './guarded-member-link.js';

/** Ports of {@link linkByMemberRecord}. */
export interface LinkByMemberRecordPorts extends GuardedMemberLinkPorts {
  members: MemberRecordRepository;
  hasher: FactorHasher;
}

/** Compared with when there is no record, so an unknown member costs the same as a known one. */
const NO_HASH = 'x'.repeat(43);

/**
 * Pattern 3: the user's member number and factors are checked against the imported records,
 * which hold only keyed hashes. The typed factors are always hashed and every required factor
 * is always compared (against a placeholder when the member or its factor is missing), so an
 * unknown member, a wrong factor and a record without that factor cost the same and fail the
 * same. Ends in `linkAccounts` with method `record`.
 */
export async function linkByMemberRecord(
  input: MemberLinkInput,
  ports: LinkByMemberRecordPorts,
): Promise<CreateLinkResult> {
  return guardedMemberLink(
    input,
    'record',
    async ({ memberId, factors }) => {
      const [record, hashes] = await Promise.all([
        ports.members.findByMemberId(memberId),
        ports.hasher.hashFactors(memberId, factors),
      ]);
      let match = record !== undefined;
      for (const factor of ports.requiredFactors) {
        const typed = hashes[factor] ?? '';
        const stored = record?.factorHashes[factor] ?? NO_HASH;
        // No short-circuit: all comparisons run whatever the earlier ones said.
        match = constantTimeEqual(typed, stored) && match;
      }
      return match && record ? record.companyUserId : undefined;
    },
    ports,
  );
}
