import { DomainError } from '../errors.js';
import type { Clock, FriendshipStatusApi, FriendshipStore } from '../ports/index.js';

/** Ports of {@link learnFriendshipAtLink}. */
export interface LearnFriendshipPorts {
  friendshipStatus: FriendshipStatusApi;
  friendship: FriendshipStore;
  clock: Clock;
}

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
 * At link time, when the caller's LINE access token is at hand, asks LINE whether the user has
 * the Official Account as a friend and records it (newest-wins, like follow / unfollow events),
 * so a new link knows `friend` at once instead of waiting for the next event. Best effort: LINE
 * being unavailable leaves `friend` unknown and never fails the link.
 *
 * @param input.asked the answer of {@link askFriendshipStatus} when the caller started it while
 *   the link was being written (it then costs no time of its own); asked here otherwise.
 * @returns the friendship learned, or undefined when LINE did not tell or a newer state was known.
 */
export async function learnFriendshipAtLink(
  input: { lineUserId: string; accessToken: string; asked?: Promise<boolean | undefined> },
  ports: LearnFriendshipPorts,
): Promise<boolean | undefined> {
  const friend = await (input.asked ?? askFriendshipStatus(input.accessToken, ports.friendshipStatus));
  if (friend === undefined) return undefined;
  const at = ports.clock.now().toISOString();
  const update = await ports.friendship.record(input.lineUserId, friend, at);
  return update === 'updated' ? friend : undefined;
}
