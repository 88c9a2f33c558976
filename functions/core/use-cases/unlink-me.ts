import type { Link } from '../link.js';
import type { LineIdentityVerifier, LinkRepository } from '../ports.js';

/** Ports of {@link unlinkMe}. */
export interface UnlinkMePorts {
  line: LineIdentityVerifier;
  links: LinkRepository;
}

/**
 * Removes the caller's link, both sides at once. Unlinking nothing is not an error (the end
 * state the user asked for holds), so the HTTP layer answers 204 either way.
 */
export async function unlinkMe(
  input: { lineToken: string },
  ports: UnlinkMePorts,
): Promise<Link | undefined> {
  const line = await ports.line.verifyBearer(input.lineToken);
  return ports.links.deleteByLineUserId(line.userId, { channelId: line.channelId });
}
