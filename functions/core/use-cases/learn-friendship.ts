import { DomainError } from '../errors.js';
import type { Clock, FriendshipStatusApi, LinkFriendship } from '../ports/index.js';

/**
 * Asks LINE whether the user has the Official Account as a friend. Best effort: LINE being
 * unavailable (a domain error) resolves to undefined, so the promise can be started early and
 * left unawaited when the link fails.
 */
export function askFriendshipStatus(
  accessToken: string,
  api: FriendshipStatusApi,
): Promise<boolean | undefined> {
  const asked = api.isFriend(accessToken).catch((error: unknown) => {
    if (error instanceof DomainError) return undefined;
    throw error;
  });
  // Not awaited when the link fails: an unexpected error then must not become an unhandled rejection.
  asked.catch(() => undefined);
  return asked;
}

/**
 * What a link made now knows of the user's friendship: LINE's answer to
 * {@link askFriendshipStatus}, as of now, or unknown when LINE did not tell (the link then takes
 * over what the service already knew). Awaited before the link is written, so the link's own
 * transaction records it; LINE being unavailable never fails the link.
 */
export async function friendshipAtLink(
  asked: Promise<boolean | undefined> | undefined,
  clock: Clock,
): Promise<LinkFriendship> {
  const friend = await asked;
  return friend === undefined
    ? { known: 'unknown' }
    : { known: 'learned', friend, at: clock.now().toISOString() };
}
