import {
  TooManyAttemptsError,
  UpstreamError,
  VerificationFailedError,
} from '../../../../functions/core/errors.js';
import {
  linkByCompanyApi,
  type LinkByCompanyApiPorts,
} from '../../../../functions/core/use-cases/link-by-company-api.js';
import { fakeLineVerifier, InMemoryAuditLog, InMemoryLinkRepository } from '../../../support/fakes.js';
import {
  FakeCompanyApi,
  InMemoryAttemptLimiter,
  ManualClock,
  recordingTimer,
} from '../../../support/member-fakes.js';

const IP = '192.0.2.1';
const RIGHT = { birthDate: '1990-04-12', postalCode: '1000001' };
const WRONG = { birthDate: '1990-04-13', postalCode: '1000001' };

function setup() {
  const clock = new ManualClock();
  const links = new InMemoryLinkRepository();
  const attempts = new InMemoryAttemptLimiter(clock);
  const company = new FakeCompanyApi([{ memberId: 'M-100001', companyUserId: 'C-1', factors: RIGHT }]);
  const ports: LinkByCompanyApiPorts = {
    line: fakeLineVerifier,
    links,
    audit: new InMemoryAuditLog(),
    clock,
    attempts,
    requiredFactors: ['birthDate', 'postalCode'],
    company,
    timer: recordingTimer(),
  };
  const attempt = (factors: Record<string, string>, memberId = 'M-100001') =>
    linkByCompanyApi({ lineToken: 'line:U1', sourceIp: IP, memberId, factors }, ports);
  return { links, attempts, company, attempt, ports };
}

describe('linkByCompanyApi', () => {
  test('links with the company user ID the API answered, method api; sends normalized factors', async () => {
    const { attempt, links } = setup();
    const { link } = await attempt({ birthDate: '19900412', postalCode: '１００－０００１' });
    expect(link).toMatchObject({ lineUserId: 'U1', companyUserId: 'C-1', method: 'api' });
    expect(links.byLine.size).toBe(1);
  });

  test('verified: false → verification-failed; counted', async () => {
    const { attempt, attempts, links } = setup();
    await expect(attempt(WRONG)).rejects.toBeInstanceOf(VerificationFailedError);
    await expect(attempt(RIGHT, 'M-404')).rejects.toBeInstanceOf(VerificationFailedError);
    expect(attempts.countOf('line-user', { memberId: '', lineUserId: 'U1', sourceIp: IP })).toBe(2);
    expect(links.byLine.size).toBe(0);
  });

  test('an unavailable API propagates and gives the attempt back', async () => {
    const { attempt, attempts, company, links } = setup();
    company.failWith = new UpstreamError('company-api', 'unavailable');
    for (let i = 0; i < 8; i++)
      await expect(attempt(RIGHT)).rejects.toMatchObject({ code: 'company-api-unavailable' });
    expect(attempts.countOf('member', { memberId: 'M-100001', lineUserId: 'U1', sourceIp: IP })).toBe(0);
    expect(links.byLine.size).toBe(0);
  });

  test('the API is told how long it is waited for, and the signal is aborted at the deadline', async () => {
    const { attempt, ports } = setup();
    const seen: Array<{ ms: number; signal: AbortSignal }> = [];
    ports.company = {
      verifyMember: ({ within }) => {
        seen.push(within!);
        return new Promise(() => undefined); // never answers
      },
    };
    ports.failureDeadlineMs = 1200;
    await expect(attempt(RIGHT)).rejects.toMatchObject({ code: 'company-api-unavailable' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.ms).toBe(1200); // the recording timer does not move before the check
    expect(seen[0]!.signal.aborted).toBe(true);
  });

  test('an API that answers in time: its signal is never aborted', async () => {
    const { attempt, ports, company } = setup();
    let signal: AbortSignal | undefined;
    ports.company = {
      verifyMember: (input) => {
        signal = input.within?.signal;
        return company.verifyMember(input);
      },
    };
    await attempt(WRONG).catch(() => undefined);
    expect(signal?.aborted).toBe(false);
  });

  test('refused attempts never reach the company API', async () => {
    const { attempt, company } = setup();
    for (let i = 0; i < 5; i++) await attempt(WRONG).catch(() => undefined);
    expect(company.calls).toBe(5);
    await expect(attempt(RIGHT)).rejects.toBeInstanceOf(TooManyAttemptsError);
    expect(company.calls).toBe(5);
  });
});
