import type { CompanyMemberVerifier, CreateLinkResult } from '../ports/index.js';
import {
  guardedMemberLink,
  type GuardedMemberLinkPorts,
  type MemberLinkInput,
} from './guarded-member-link.js';

/** Ports of {@link linkByCompanyApi}. */
export interface LinkByCompanyApiPorts extends GuardedMemberLinkPorts {
  company: CompanyMemberVerifier;
}

/**
 * Pattern 2: the company's verification API checks the member number and the (normalized)
 * factors; a `verified: true` answer with a company user ID links with method `api`. The same
 * guessing protection as pattern 3 applies, and the company API is only called for attempts
 * that are not refused. The API is told how long it is waited for (the failure deadline) and
 * fits its one retry into it; at the deadline it is told to stop, so no call outlives the
 * answer. An unavailable API gives the attempt back and answers 503.
 */
export async function linkByCompanyApi(
  input: MemberLinkInput,
  ports: LinkByCompanyApiPorts,
): Promise<CreateLinkResult> {
  return guardedMemberLink(
    input,
    'api',
    async (member) => {
      const verdict = await ports.company.verifyMember(member);
      return verdict.verified ? verdict.companyUserId : undefined;
    },
    ports,
  );
}
