import { UpstreamError } from '../../../../functions/core/errors.js';
import {
  askFriendshipStatus,
  learnFriendshipAtLink,
} from '../../../../functions/core/use-cases/learn-friendship.js';
import { frozenClock, InMemoryLinkRepository } from '../../../support/fakes.js';
import { InMemoryFriendshipStore } from '../../../support/messaging-fakes.js';

const NOW = '2026-11-30T09:00:00.000Z';

function setup(answer: boolean | Error) {
  const links = new InMemoryLinkRepository();
  const friendship = new InMemoryFriendshipStore(links);
  const asked: string[] = [];
  const ports = {
    friendship,
    clock: frozenClock(NOW),
    friendshipStatus: {
      isFriend: async (token: string) => {
        asked.push(token);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
  };
  return { links, friendship, asked, ports };
}

describe('learnFriendshipAtLink', () => {
  it('records what LINE says, on the link too', async () => {
    const { links, asked, ports } = setup(true);
    await links.create({ lineUserId: 'U1', companyUserId: 'M1', method: 'oidc', linkedAt: NOW });
    expect(await learnFriendshipAtLink({ lineUserId: 'U1', accessToken: 'tok' }, ports)).toBe(true);
    expect(asked).toEqual(['tok']);
    expect(links.byLine.get('U1')).toMatchObject({ friend: true, friendUpdatedAt: NOW });
  });

  it('never overrides a newer state, and leaves friend unknown when LINE fails', async () => {
    const { friendship, ports } = setup(false);
    await friendship.record('U1', true, '2026-11-30T10:00:00.000Z');
    expect(await learnFriendshipAtLink({ lineUserId: 'U1', accessToken: 'tok' }, ports)).toBeUndefined();
    expect(friendship.known.get('U1')!.friend).toBe(true);

    const down = setup(new UpstreamError('line', 'unavailable'));
    expect(await learnFriendshipAtLink({ lineUserId: 'U2', accessToken: 'tok' }, down.ports)).toBeUndefined();
    expect(down.friendship.known.size).toBe(0);
  });

  it('uses an answer asked while the link was written, without asking again', async () => {
    const { links, asked, ports } = setup(true);
    const early = askFriendshipStatus('tok', ports.friendshipStatus);
    await links.create({ lineUserId: 'U1', companyUserId: 'M1', method: 'oidc', linkedAt: NOW });
    expect(await learnFriendshipAtLink({ lineUserId: 'U1', accessToken: 'tok', asked: early }, ports)).toBe(
      true,
    );
    expect(asked).toEqual(['tok']);
  });

  it('an early question LINE fails resolves to unknown; an unexpected error still surfaces', async () => {
    const down = setup(new UpstreamError('line', 'unavailable'));
    await expect(askFriendshipStatus('tok', down.ports.friendshipStatus)).resolves.toBeUndefined();
    const broken = setup(new TypeError('bug'));
    await expect(askFriendshipStatus('tok', broken.ports.friendshipStatus)).rejects.toThrow('bug');
  });
});
