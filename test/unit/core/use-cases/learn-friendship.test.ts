import { UpstreamError } from '../../../../functions/core/errors.js';
import {
  askFriendshipStatus,
  friendshipAtLink,
} from '../../../../functions/core/use-cases/learn-friendship.js';
import { frozenClock } from '../../../support/fakes.js';

const NOW = '2026-11-30T09:00:00.000Z';

function api(answer: boolean | Error) {
  const asked: string[] = [];
  return {
    asked,
    isFriend: async (token: string) => {
      asked.push(token);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('friendshipAtLink', () => {
  it("is LINE's answer as of now", async () => {
    const line = api(false);
    expect(await friendshipAtLink(askFriendshipStatus('tok', line), frozenClock(NOW))).toEqual({
      known: 'learned',
      friend: false,
      at: NOW,
    });
    expect(line.asked).toEqual(['tok']);
  });

  it('is unknown when LINE was not asked or did not tell', async () => {
    expect(await friendshipAtLink(undefined, frozenClock(NOW))).toEqual({ known: 'unknown' });
    const down = api(new UpstreamError('line', 'unavailable'));
    expect(await friendshipAtLink(askFriendshipStatus('tok', down), frozenClock(NOW))).toEqual({
      known: 'unknown',
    });
  });
});

describe('askFriendshipStatus', () => {
  it('an early question LINE fails resolves to unknown; an unexpected error still surfaces', async () => {
    await expect(
      askFriendshipStatus('tok', api(new UpstreamError('line', 'unavailable'))),
    ).resolves.toBeUndefined();
    await expect(askFriendshipStatus('tok', api(new TypeError('bug')))).rejects.toThrow('bug');
  });

  it('an early question left unawaited (the link failed) is no unhandled rejection', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      askFriendshipStatus('tok', api(new TypeError('bug')));
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
