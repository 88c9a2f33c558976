import { NotLinkedError } from '../errors.js';
import type { Link } from '../link.js';
import type { LineIdentityVerifier, LinkRepository } from '../ports/index.js';

/** Ports of {@link getMyLink}. */
export interface GetMyLinkPorts {
  line: LineIdentityVerifier;
  links: LinkRepository;
}

/** The caller's own link; a caller can only ever see the link of the LINE user its token proves. */
export async function getMyLink(input: { lineToken: string }, ports: GetMyLinkPorts): Promise<Link> {
  const line = await ports.line.verifyBearer(input.lineToken);
  const link = await ports.links.findByLineUserId(line.userId);
  if (!link) throw new NotLinkedError();
  return link;
}
