import { DomainError } from '../errors.js';
import type { Clock, FriendshipStore } from '../ports/index.js';

/** LINE's friendship status API, called with the user's own LINE Login access token. */
export interface FriendshipStatusApi {
  /** Whether the user has the Official Account linked to the login channel as a friend. @throws UpstreamError */
  isFriend(userAccessToken: string): Promise<boolean>;
}

/** Ports of {@link learnFriendshipAtLink}. */
export interface LearnFriendshipPorts {
  friendshipStatus: FriendshipStatusApi;
  friendship: FriendshipStore;
  clock: Clock;
}

/**
 * At link time, when the caller's LINE access token is at hand, asks LINE whether the user has
 * the Official Account as a friend and records it (newest-wins, like follow / unfollow events),
 * so a new link knows `friend` at once instead of waiting for the next event. Best effort: LINE
 * being unavailable leaves `friend` unknown and never fails the link.
 *
 * @returns the friendship learned, or undefined when LINE did not tell or a newer state was known.
 */
export async function learnFriendshipAtLink(
  input: { lineUserId: string; accessToken: string },
  ports: LearnFriendshipPorts,
): Promise<boolean | undefined> {
  let friend: boolean;
  try {
    friend = await ports.friendshipStatus.isFriend(input.accessToken);
  } catch (error) {
    if (error instanceof DomainError) return undefined;
    throw error;
  }
  const at = ports.clock.now().toISOString();
  const update = await ports.friendship.record(input.lineUserId, friend, at);
  return update === 'updated' ? friend : undefined;
}
