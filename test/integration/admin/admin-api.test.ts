import {
  DEFAULT_COMPANY_MEMBERS,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { TABLES, type TableKey } from '../../../functions/manifest/table-definitions.js';
import { adminCall, testAdminCredentials } from '../../support/admin-client.js';
import { call } from '../../support/http.js';
import { importSample, s, TEST_PEPPER } from '../../support/member-data.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

const credentials = testAdminCredentials();
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack(
    { MEMBER_HASH_PEPPER: TEST_PEPPER, MEMBER_FACTORS: 'birthDate,postalCode' },
    { iam: credentials },
  );
  await importSample(stack.tables.members);
}, 60_000);
afterAll(() => stack.close());

let seq = 0;
async function linked(memberId = `M-ADM${++seq}-${Date.now()}`) {
  const lineUserId = testLineUserId(`admin-${++seq}-${Date.now()}`);
  const token = await stack.line.mintIdToken({ userId: lineUserId });
  const created = await call(stack.api.url, 'POST', '/links', {
    token,
    json: { companyIdToken: await stack.company.mintIdToken({ sub: memberId }) },
  });
  expect(created.status).toBe(201);
  return { lineUserId, memberId, token };
}

const admin = (method: string, path: string, json?: unknown) =>
  adminCall(stack.api.url, method, path, credentials, { json });

/** Every item of every table, as text. */
async function everything(): Promise<string> {
  const parts = await Promise.all((Object.keys(TABLES) as TableKey[]).map((t) => stack.scan(t)));
  return JSON.stringify(parts);
}

async function adminEvents() {
  return (await stack.scan('audit')).filter((item) => s(item, 'type') === 'admin');
}

describe('admin API: SigV4 like API Gateway IAM authorization', () => {
  test('a signed lookup by either ID answers the link, audited with the caller ARN', async () => {
    const { lineUserId, memberId } = await linked();
    const byCompany = await admin('GET', `/admin/links/company/${memberId}`);
    expect(byCompany.status).toBe(200);
    expect(byCompany.body).toMatchObject({ lineUserId, companyUserId: memberId, method: 'oidc' });
    const byLine = await admin('GET', `/admin/links/line/${lineUserId}`);
    expect(byLine.body).toEqual(byCompany.body);
    const missing = await admin('GET', '/admin/links/company/M-NOBODY');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'not-linked' });

    const events = (await adminEvents()).filter((e) => s(e, 'companyUserId') === memberId);
    expect(events).toHaveLength(2);
    for (const e of events) {
      expect(s(e, 'actor')).toBe(credentials.principalArn);
      expect(s(e, 'action')).toBe('lookup');
      expect(s(e, 'outcome')).toBe('found');
    }
  });

  test.each([
    ['unsigned', undefined, {}],
    ['wrong secret', { accessKeyId: credentials.accessKeyId, secretAccessKey: 'wrong-secret' }, {}],
    ['unknown access key', { accessKeyId: 'AKIAOTHER', secretAccessKey: credentials.secretAccessKey }, {}],
    ['stale (6 minutes old)', credentials, { signingDate: new Date(Date.now() - 6 * 60_000) }],
    ['from the future (6 minutes ahead)', credentials, { signingDate: new Date(Date.now() + 6 * 60_000) }],
    ['body tampered after signing', credentials, { tamperBody: JSON.stringify({ reason: 'support' }) }],
  ])('%s → 403 from the gateway and nothing happens', async (_label, creds, options) => {
    const { lineUserId, memberId } = await linked();
    const before = (await adminEvents()).length;
    const response = await adminCall(
      stack.api.url,
      'POST',
      `/admin/links/company/${memberId}/unlink`,
      creds,
      { json: { reason: 'membership-ended' }, ...options },
    );
    expect(response.status).toBe(403);
    // API Gateway's own refusal: the function never ran.
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.body).toEqual({ message: 'Forbidden' });
    // Still linked, nothing audited.
    expect((await admin('GET', `/admin/links/line/${lineUserId}`)).status).toBe(200);
    expect((await adminEvents()).length).toBe(before + 1); // only that lookup
  });

  test('a signature within the allowed skew (4 minutes old) is accepted', async () => {
    const { memberId } = await linked();
    const response = await adminCall(stack.api.url, 'GET', `/admin/links/company/${memberId}`, credentials, {
      signingDate: new Date(Date.now() - 4 * 60_000),
    });
    expect(response.status).toBe(200);
  });
});

describe('admin unlink and unlock', () => {
  test('unlink by company user ID with a reason: both sides gone, audited with reason and caller', async () => {
    const { lineUserId, memberId, token } = await linked();
    const response = await admin('POST', `/admin/links/company/${memberId}/unlink`, {
      reason: 'membership-ended',
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ companyUserId: memberId, reason: 'membership-ended', unlinked: true });
    expect((await call(stack.api.url, 'GET', '/links/me', { token })).status).toBe(404);
    const event = (await adminEvents()).find(
      (e) => s(e, 'action') === 'unlink' && s(e, 'companyUserId') === memberId,
    );
    expect(event && s(event, 'reason')).toBe('membership-ended');
    expect(event && s(event, 'lineUserId')).toBe(lineUserId);
    expect(event && s(event, 'actor')).toBe(credentials.principalArn);
    const deauthorized = async () =>
      (await stack.scan('audit'))
        .filter((i) => s(i, 'pk') === `LINE#${lineUserId}` && s(i, 'type') === 'deauthorize')
        .map((i) => [s(i, 'code'), s(i, 'detail')]);
    // The company holds no LINE access token of the user: the trail says deauthorize was not possible.
    expect(await deauthorized()).toEqual([['deauthorize-not-possible', 'no-access-token']]);
    // Again: nothing to unlink, still 200, nothing more recorded.
    const again = await admin('POST', `/admin/links/company/${memberId}/unlink`, { reason: 'support' });
    expect(again.body).toMatchObject({ unlinked: false });
    expect(await deauthorized()).toHaveLength(1);
  });

  test('bad input → 400 and nothing happens', async () => {
    const { lineUserId, memberId } = await linked();
    const badReason = await admin('POST', `/admin/links/company/${memberId}/unlink`, { reason: 'bored' });
    expect(badReason.status).toBe(400);
    expect(badReason.body).toMatchObject({ code: 'invalid-request' });
    const badLine = await admin('GET', '/admin/links/line/not-a-line-id');
    expect(badLine.status).toBe(400);
    expect((await admin('GET', `/admin/links/line/${lineUserId}`)).status).toBe(200);
  });

  test('unlock clears a locked member so the right details link at once', async () => {
    const member = DEFAULT_COMPANY_MEMBERS[1]!;
    const lineUserId = testLineUserId(`admin-unlock-${Date.now()}`);
    const token = await stack.line.mintIdToken({ userId: lineUserId });
    const attempt = (birthDate: string) =>
      call(stack.api.url, 'POST', '/links/by-record', {
        token,
        json: { memberId: member.memberId, factors: { birthDate, postalCode: member.postalCode } },
      });
    let last;
    for (let i = 0; i < 6; i++) last = await attempt('1901-01-01');
    expect(last!.status).toBe(429);
    expect((await attempt(member.birthDate)).status).toBe(429);

    const unlocked = await admin('POST', `/admin/members/${member.memberId}/unlock`, { lineUserId });
    expect(unlocked.status).toBe(200);
    expect(unlocked.body).toEqual({ memberId: member.memberId, countersCleared: 2 });
    expect((await attempt(member.birthDate)).status).toBe(201);
    const event = (await adminEvents()).find(
      (e) => s(e, 'action') === 'unlock' && s(e, 'memberId') === member.memberId,
    );
    expect(event && s(event, 'actor')).toBe(credentials.principalArn);
  });
});

describe('erasure request', () => {
  test('removes the link, the member record and every personal value from every table', async () => {
    const member = DEFAULT_COMPANY_MEMBERS[0]!;
    const lineUserId = testLineUserId(`admin-erase-${Date.now()}`);
    const token = await stack.line.mintIdToken({ userId: lineUserId });
    // A failed attempt (counters), then the link (audit), a lookup (admin audit).
    await call(stack.api.url, 'POST', '/links/by-record', {
      token,
      json: {
        memberId: member.memberId,
        factors: { birthDate: '1901-01-01', postalCode: member.postalCode },
      },
    });
    const created = await call(stack.api.url, 'POST', '/links/by-record', {
      token,
      json: {
        memberId: member.memberId,
        factors: { birthDate: member.birthDate, postalCode: member.postalCode },
      },
    });
    expect(created.status).toBe(201);
    expect((await admin('GET', `/admin/links/company/${member.memberId}`)).status).toBe(200);
    const before = await everything();
    expect(before).toContain(member.memberId);
    expect(before).toContain(lineUserId);
    const auditBefore = (await stack.scan('audit')).filter((i) => s(i, 'pk') === `LINE#${lineUserId}`);

    const erased = await admin('POST', `/admin/links/company/${member.memberId}/unlink`, {
      reason: 'erasure-request',
    });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ unlinked: true, reason: 'erasure-request' });

    const after = await everything();
    expect(after).not.toContain(member.memberId);
    expect(after).not.toContain(lineUserId);
    // The audit trail keeps the events' types and times, under pseudonyms.
    const pseudonymized = (await stack.scan('audit')).filter((i) => s(i, 'pk')?.startsWith('PSEUDONYM#'));
    expect(pseudonymized.map((i) => [s(i, 'type'), s(i, 'at')]).sort()).toEqual(
      [
        ...auditBefore.map((i) => [s(i, 'type'), s(i, 'at')]),
        ['unlink', expect.any(String)],
        // The company holds no LINE access token: the removed link's deauthorize was not possible.
        ['deauthorize', expect.any(String)],
      ].sort(),
    );
    for (const item of pseudonymized) expect(s(item, 'lineUserId')).toMatch(/^pseudonym:[0-9a-f]{64}$/);
    const erase = (await adminEvents()).find((e) => s(e, 'action') === 'erase');
    expect(erase && s(erase, 'actor')).toBe(credentials.principalArn);
    // Other members are untouched.
    expect(after).toContain(DEFAULT_COMPANY_MEMBERS[2]!.memberId);
  });
});
