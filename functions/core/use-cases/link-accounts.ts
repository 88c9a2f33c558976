import type { Link, LinkMethod } from '../link.js';
import type { Clock, CreateLinkResult, LinkRepository } from '../ports.js';

/** Ports of {@link linkAccounts}. */
export interface LinkAccountsPorts {
  links: LinkRepository;
  clock: Clock;
}

/**
 * The single place where two verified identities become a link. Every linking pattern (OIDC via
 * LIFF or the web flow, company API, imported records, account link) ends here, so the
 * one-to-one rule and idempotency behave the same everywhere.
 *
 * Callers must pass identities they verified themselves, never values taken from a request body.
 */
export async function linkAccounts(
  input: { lineUserId: string; companyUserId: string; method: LinkMethod },
  ports: LinkAccountsPorts,
): Promise<CreateLinkResult> {
  const link: Link = {
    lineUserId: input.lineUserId,
    companyUserId: input.companyUserId,
    method: input.method,
    linkedAt: ports.clock.now().toISOString(),
  };
  return ports.links.create(link);
}
