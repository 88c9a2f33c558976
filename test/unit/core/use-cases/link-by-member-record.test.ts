import {
  InvalidRequestError,
  InvalidTokenError,
  TooManyAttemptsError,
  VerificationFailedError,
} from '../../../../functions/core/errors.js';
import type { AttemptEvent } from '../../../../functions/core/ports/index.js';
import {
  linkByMemberRecord,
  type LinkByMemberRecordPorts,
} from '../../../../functions/core/use-cases/link-by-member-record.js';
import { fakeLineVerifier, InMemoryAuditLog, InMemoryLinkRepository } from '../../../support/fakes.js';
import {
  fakeHasher,
  InMemoryAttemptLimiter,
  InMemoryMemberRecords,
  ManualClock,
  recordingTimer,
} from '../../../support/member-fakes.js';

const HANAKO = {
  memberId: 'M-100001',
  companyUserId: 'C-1',
  factors: { birthDate: '1990-04-12', postalCode: '1000001' },
};
const ICHIRO = { memberId: 'M-100002', factors: { birthDate: '1985-11-03', postalCode: '5300001' } };
const IP = '192.0.2.1';
const RIGHT = { birthDate: '1990-04-12', postalCode: '1000001' };
const WRONG = { birthDate: '1990-04-13', postalCode: '1000001' };

async function setup() {
  const clock = new ManualClock();
  const links = new InMemoryLinkRepository();
  const audit = new InMemoryAuditLog();
  const attempts = new InMemoryAttemptLimiter(clock);
  const members = await InMemoryMemberRecords.of([HANAKO, ICHIRO]);
  const events: AttemptEvent[] = [];
  const timer = recordingTimer();
  const ports: LinkByMemberRecordPorts = {
    line: fakeLineVerifier,
    links,
    audit,
    clock,
    attempts,
    requiredFactors: ['birthDate', 'postalCode'],
    members,
    hasher: fakeHasher,
    observe: (e) => events.push(e),
    timer,
  };
  const attempt = (lineUser: string, memberId: string, factors: Record<string, string>, sourceIp = IP) =>
    linkByMemberRecord({ lineToken: `line:${lineUser}`, sourceIp, memberId, factors }, ports);
  return { clock, links, audit, attempts, members, events, timer, ports, attempt };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('linkByMemberRecord', () => {
  test('links the verified LINE user to the record’s company user, method record', async () => {
    const { attempt, links, events } = await setup();
    const { link, created } = await attempt('U1', 'M-100001', {
      birthDate: '１９９０/4/12',
      postalCode: '100-0001',
    });
    expect(created).toBe(true);
    expect(link).toMatchObject({ lineUserId: 'U1', companyUserId: 'C-1', method: 'record' });
    expect(links.byLine.get('U1')?.companyUserId).toBe('C-1');
    expect(events).toEqual([
      expect.objectContaining({
        outcome: 'verified',
        method: 'record',
        memberId: 'M-100001',
        lineUserId: 'U1',
      }),
    ]);
  });

  test('unknown member and wrong factor fail with the same error and the same work', async () => {
    const { attempt, links, members, timer } = await setup();
    const unknown = await failure(attempt('U1', 'M-999999', RIGHT));
    const lookupsAfterUnknown = members.lookups;
    const wrong = await failure(attempt('U2', 'M-100001', WRONG));
    expect(unknown).toBeInstanceOf(VerificationFailedError);
    expect(wrong).toBeInstanceOf(VerificationFailedError);
    expect((unknown as Error).message).toBe((wrong as Error).message);
    expect(lookupsAfterUnknown).toBe(1);
    expect(members.lookups).toBe(2);
    expect(timer.sleeps).toHaveLength(2); // both padded to the minimum duration
    expect(links.byLine.size).toBe(0);
  });

  test('locks the member after 5 failures: 429 even with the right factors, for every LINE user', async () => {
    const { attempt, links, attempts, audit } = await setup();
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await failure(attempt(`U${i}`, 'M-100001', WRONG)));
    expect(results.slice(0, 4).every((e) => e instanceof VerificationFailedError)).toBe(true);
    expect(results[4]).toBeInstanceOf(TooManyAttemptsError); // the failure that used the last attempt
    const locked = await failure(attempt('U9', 'M-100001', RIGHT));
    expect(locked).toBeInstanceOf(TooManyAttemptsError);
    expect((locked as TooManyAttemptsError).retryAfterSeconds).toBe(15 * 60);
    expect(links.byLine.size).toBe(0);
    expect(attempts.countOf('member', { memberId: 'M-100001', lineUserId: 'x', sourceIp: IP })).toBe(6);
    expect(audit.events).toEqual([
      expect.objectContaining({
        type: 'lockout',
        lineUserId: 'U4',
        companyUserId: 'M-100001',
        method: 'record',
        code: 'too-many-attempts',
      }),
    ]);
  });

  test('an unknown member locks out exactly like a real one', async () => {
    const real = await setup();
    const ghost = await setup();
    const realErrors = [];
    const ghostErrors = [];
    for (let i = 0; i < 7; i++) {
      realErrors.push(await failure(real.attempt('U1', 'M-100001', WRONG)));
      ghostErrors.push(await failure(ghost.attempt('U1', 'M-000000', WRONG)));
    }
    const shape = (e: unknown) => [
      (e as Error).constructor.name,
      (e as { retryAfterSeconds?: number }).retryAfterSeconds,
    ];
    expect(realErrors.map(shape)).toEqual(ghostErrors.map(shape));
  });

  test('the lock grows after every lockout and a quiet window resets the count', async () => {
    const { attempt, clock } = await setup();
    for (let i = 0; i < 5; i++) await failure(attempt('U1', 'M-100002', WRONG));
    clock.advance(15 * 60);
    for (let i = 0; i < 4; i++)
      expect(await failure(attempt('U1', 'M-100002', WRONG))).toBeInstanceOf(VerificationFailedError);
    const second = await failure(attempt('U1', 'M-100002', WRONG));
    expect((second as TooManyAttemptsError).retryAfterSeconds).toBe(30 * 60);
  });

  test('success resets the member’s counter', async () => {
    const { attempt, attempts } = await setup();
    for (let i = 0; i < 4; i++) await failure(attempt('U1', 'M-100001', WRONG));
    await attempt('U1', 'M-100001', RIGHT);
    expect(attempts.countOf('member', { memberId: 'M-100001', lineUserId: 'U1', sourceIp: IP })).toBe(0);
    expect(attempts.countOf('line-user', { memberId: 'M-100001', lineUserId: 'U1', sourceIp: IP })).toBe(4);
  });

  test('one LINE user trying many members is locked after 10 attempts', async () => {
    const { attempt } = await setup();
    const errors = [];
    for (let i = 0; i < 11; i++) errors.push(await failure(attempt('U1', `M-2000${i}`, RIGHT)));
    expect(errors.slice(0, 9).every((e) => e instanceof VerificationFailedError)).toBe(true);
    expect(errors[9]).toBeInstanceOf(TooManyAttemptsError);
    expect(errors[10]).toBeInstanceOf(TooManyAttemptsError);
    // …and that user cannot even link their own member now
    expect(await failure(attempt('U1', 'M-100001', RIGHT))).toBeInstanceOf(TooManyAttemptsError);
  });

  test('the service-wide count takes failures only: refusals and successes leave it alone', async () => {
    const { attempt, attempts } = await setup();
    for (let i = 0; i < 40; i++) await failure(attempt('U1', `M-3000${i}`, RIGHT));
    expect(attempts.countOf('line-user', { memberId: 'x', lineUserId: 'U1', sourceIp: IP })).toBe(40);
    expect(attempts.globalCount()).toBe(10); // only the evaluated attempts
    await attempt('U2', 'M-100001', RIGHT, '198.51.100.7');
    expect(attempts.globalCount()).toBe(10);
  });

  test('one address is a scope of its own: 50 LINE accounts get 20 evaluated guesses in all', async () => {
    const { attempt, members } = await setup();
    const errors = [];
    for (let i = 0; i < 50; i++) errors.push(await failure(attempt(`U${i}`, `M-4000${i}`, RIGHT, IP)));
    expect(members.lookups).toBe(20);
    expect(errors.filter((e) => e instanceof VerificationFailedError)).toHaveLength(19);
    expect(errors.slice(19).every((e) => e instanceof TooManyAttemptsError)).toBe(true);
    // the same (identical) refusal for a right answer from that address; other addresses go on
    expect(await failure(attempt('U99', 'M-100001', RIGHT, IP))).toBeInstanceOf(TooManyAttemptsError);
    expect((await attempt('U98', 'M-100001', RIGHT, '198.51.100.7')).created).toBe(true);
  });

  test('over ATTEMPTS_GLOBAL failures are slowed down and reported, but nobody is locked out', async () => {
    const { attempt, attempts, timer, events, ports } = await setup();
    attempts.limits.global = 3;
    attempts.limits.globalShards = 1;
    ports.minFailureMs = 300;
    ports.globalSlowdownMs = 5000;
    // ~100 accounts from ~100 addresses, 1 failure each on different members: far over the threshold
    for (let i = 0; i < 100; i++) await failure(attempt(`S${i}`, `M-5000${i}`, RIGHT, `203.0.113.${i}`));
    expect(timer.sleeps.slice(0, 3)).toEqual([300, 300, 300]);
    expect(timer.sleeps.slice(3).every((ms) => ms === 5300)).toBe(true);
    expect(events.filter((e) => e.globalThresholdExceeded)).toHaveLength(97);
    // a real member is not locked out by them: links at once, without the slowdown
    const sleeps = timer.sleeps.length;
    expect((await attempt('U1', 'M-100001', RIGHT, '198.51.100.7')).created).toBe(true);
    expect(timer.sleeps).toHaveLength(sleeps);
  });

  test('a storage failure while checking gives the attempt back', async () => {
    const { attempt, attempts, members } = await setup();
    members.findByMemberId = async () => {
      throw new Error('DynamoDB is down');
    };
    await expect(attempt('U1', 'M-100001', RIGHT)).rejects.toThrow('DynamoDB is down');
    expect(attempts.countOf('member', { memberId: 'M-100001', lineUserId: 'U1', sourceIp: IP })).toBe(0);
  });

  test('an invalid LINE token or a malformed factor is refused before anything is counted', async () => {
    const { attempt, attempts, ports } = await setup();
    await expect(
      linkByMemberRecord({ lineToken: 'nope', sourceIp: IP, memberId: 'M-100001', factors: RIGHT }, ports),
    ).rejects.toBeInstanceOf(InvalidTokenError);
    const bad = await failure(attempt('U1', 'M-100001', { birthDate: '1990-02-30', postalCode: '1000001' }));
    expect(bad).toBeInstanceOf(InvalidRequestError);
    expect((bad as InvalidRequestError).errors).toEqual([
      { path: 'factors.birthDate', message: expect.any(String) },
    ]);
    expect(attempts.counters.size).toBe(0);
  });

  test('a record that lacks a required factor never verifies', async () => {
    const { attempt, members } = await setup();
    members.records.set('M-3', {
      memberId: 'M-3',
      companyUserId: 'M-3',
      factorHashes: await fakeHasher.hashFactors('M-3', { birthDate: '1990-04-12' }),
    });
    expect(await failure(attempt('U1', 'M-3', RIGHT))).toBeInstanceOf(VerificationFailedError);
  });

  test('attempt events carry IDs and counts, never a factor value', async () => {
    const { attempt, events } = await setup();
    await failure(attempt('U1', 'M-100001', WRONG));
    await attempt('U1', 'M-100001', RIGHT);
    const text = JSON.stringify(events);
    expect(events.map((e) => e.outcome)).toEqual(['failed', 'verified']);
    expect(events[0]!.counts).toEqual({ member: 1, 'line-user': 1, address: 1 });
    expect(events[0]).toMatchObject({ globalFailures: 10 }); // 1 failure on one of 10 shards
    for (const v of [...Object.values(RIGHT), ...Object.values(WRONG), '1990']) expect(text).not.toContain(v);
  });
});
