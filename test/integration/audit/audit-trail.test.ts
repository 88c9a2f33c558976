import { DynamoAuditLog } from '../../../functions/adapters/dynamo/dynamo-audit-log.js';
import { createDocumentClient } from '../../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoLinkRepository } from '../../../functions/adapters/dynamo/dynamo-link-repository.js';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { call } from '../../support/http.js';
import { startTestStack, TEST_CHANNEL, type TestStack } from '../../support/test-stack.js';

const CH = TEST_CHANNEL.channelId;
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

let seq = 0;
function fresh() {
  seq++;
  return { lineUserId: testLineUserId(`audit-${seq}-${Date.now()}`), memberId: `M-A${seq}-${Date.now()}` };
}

const lineToken = (userId: string) => stack.line.mintIdToken({ userId });
const companyToken = (sub: string) => stack.company.mintIdToken({ sub });
const post = (token: string | undefined, json: unknown) =>
  call(stack.api.url, 'POST', '/links', { token, json });
const history = (token: string | undefined, query = '') =>
  call(stack.api.url, 'GET', `/links/me/history${query}`, { token });

/** The stored audit items of one LINE user, as plain strings, oldest first. */
async function auditItems(lineUserId: string): Promise<Array<Record<string, string>>> {
  const items = (await stack.scan('audit'))
    .map((item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, (v as { S: string }).S])))
    .filter((item) => item.pk === `LINE#${lineUserId}`);
  return items.sort((a, b) => a.sk!.localeCompare(b.sk!));
}

/** An audit item without its key attributes. */
const event = ({ pk: _pk, sk: _sk, ...rest }: Record<string, string>) => rest;

describe('audit trail of link changes', () => {
  it('records link (in the link transaction), relink, and unlink with time, method and consent version', async () => {
    const { lineUserId, memberId } = fresh();
    const token = await lineToken(lineUserId);
    const companyIdToken = await companyToken(memberId);

    const created = await post(token, { companyIdToken, consentVersion: 'tos-2026.04' });
    expect(created.status).toBe(201);
    const { linkedAt } = created.body as { linkedAt: string };
    expect(await post(token, { companyIdToken })).toMatchObject({ status: 200 });
    expect((await call(stack.api.url, 'DELETE', '/links/me', { token })).status).toBe(204);
    // Unlinking nothing changes nothing and records nothing.
    expect((await call(stack.api.url, 'DELETE', '/links/me', { token })).status).toBe(204);

    const all = await auditItems(lineUserId);
    // With an ID token LINE cannot be asked to deauthorize; the trail says so.
    expect(all.filter((i) => i.type === 'deauthorize').map(event)).toEqual([
      {
        type: 'deauthorize',
        at: expect.any(String),
        lineUserId,
        companyUserId: memberId,
        code: 'deauthorize-not-possible',
        detail: 'no-access-token',
      },
    ]);
    const items = all.filter((i) => i.type !== 'deauthorize');
    expect(items.map(event)).toEqual([
      {
        type: 'link',
        at: linkedAt,
        lineUserId,
        companyUserId: memberId,
        method: 'oidc',
        channelId: CH,
        consentVersion: 'tos-2026.04',
      },
      {
        type: 'relink',
        at: expect.any(String),
        lineUserId,
        companyUserId: memberId,
        method: 'oidc',
        channelId: CH,
      },
      {
        type: 'unlink',
        at: expect.any(String),
        lineUserId,
        companyUserId: memberId,
        method: 'oidc',
        channelId: CH,
      },
    ]);
    expect(items[0]!.sk).toMatch(new RegExp(`^${linkedAt.replace(/\./g, '\\.')}#[0-9a-f]{16}$`));
    const serialized = JSON.stringify(items);
    expect(serialized).not.toContain(token);
    expect(serialized).not.toContain(companyIdToken);
    expect(serialized).not.toMatch(/eyJ/);
  });

  it('records a conflict in both directions for the caller, with the stable code', async () => {
    const a = fresh();
    const b = fresh();
    await post(await lineToken(a.lineUserId), { companyIdToken: await companyToken(a.memberId) });
    await post(await lineToken(b.lineUserId), { companyIdToken: await companyToken(b.memberId) });

    const lineSide = await post(await lineToken(a.lineUserId), {
      companyIdToken: await companyToken(b.memberId),
      consentVersion: 'v9',
    });
    expect(lineSide).toMatchObject({ status: 409, body: { code: 'line-user-already-linked' } });
    const c = fresh();
    const companySide = await post(await lineToken(c.lineUserId), {
      companyIdToken: await companyToken(a.memberId),
    });
    expect(companySide).toMatchObject({ status: 409, body: { code: 'company-user-already-linked' } });

    expect((await auditItems(a.lineUserId)).map(event)).toEqual([
      expect.objectContaining({ type: 'link', companyUserId: a.memberId }),
      {
        type: 'conflict',
        at: expect.any(String),
        lineUserId: a.lineUserId,
        companyUserId: b.memberId,
        method: 'oidc',
        channelId: CH,
        consentVersion: 'v9',
        code: 'line-user-already-linked',
      },
    ]);
    expect((await auditItems(c.lineUserId)).map(event)).toEqual([
      {
        type: 'conflict',
        at: expect.any(String),
        lineUserId: c.lineUserId,
        companyUserId: a.memberId,
        method: 'oidc',
        channelId: CH,
        code: 'company-user-already-linked',
      },
    ]);
    // The other side of a conflict learns nothing and gets no event.
    expect(await auditItems(b.lineUserId)).toHaveLength(1);
  });

  it('records nothing for rejected requests', async () => {
    const { lineUserId, memberId } = fresh();
    const good = await lineToken(lineUserId);
    const expired = await stack.line.mintIdToken({ userId: lineUserId, expiresInSec: -60 });
    const companyIdToken = await companyToken(memberId);
    const attempts = [
      await post(undefined, { companyIdToken }),
      await post('not-a-token', { companyIdToken }),
      await post(expired, { companyIdToken }),
      await post(good, {
        companyIdToken: await stack.company.mintIdToken({ sub: memberId, expiresInSec: -60 }),
      }),
      await post(good, { companyIdToken: 'garbage' }),
      await post(good, {}),
      await post(good, { companyIdToken, consentVersion: '=HYPERLINK("http://evil")' }),
      await post(good, { companyIdToken, consentVersion: 'v'.repeat(65) }),
      await post(good, { companyIdToken, consentVersion: 42 }),
      await call(stack.api.url, 'POST', '/links', {
        token: good,
        body: '{"companyIdToken":',
        headers: { 'content-type': 'application/json' },
      }),
      await call(stack.api.url, 'DELETE', '/links/me', { token: 'not-a-token' }),
    ];
    for (const response of attempts) expect(response.status).toBeGreaterThanOrEqual(400);
    expect(attempts.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 400, 400, 400, 400, 400, 401]);
    expect(await auditItems(lineUserId)).toEqual([]);
  });

  it('never commits a link without its event: the two are one transaction', async () => {
    const { lineUserId, memberId } = fresh();
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT! });
    const brokenAudit = new DynamoAuditLog(client, `${stack.tables.audit}-does-not-exist`);
    const links = new DynamoLinkRepository(client, stack.tables.links, brokenAudit.transactionWrites());
    const link = {
      lineUserId,
      companyUserId: memberId,
      method: 'oidc' as const,
      linkedAt: new Date().toISOString(),
    };
    await expect(links.create(link)).rejects.toThrow();
    expect(
      await new DynamoLinkRepository(client, stack.tables.links).findByLineUserId(lineUserId),
    ).toBeUndefined();

    // And an unlink whose event cannot be written leaves the link in place.
    const working = new DynamoLinkRepository(
      client,
      stack.tables.links,
      new DynamoAuditLog(client, stack.tables.audit).transactionWrites(),
    );
    await working.create(link);
    await expect(links.deleteByLineUserId(lineUserId)).rejects.toThrow();
    expect(await working.findByLineUserId(lineUserId)).toEqual(link);
    client.destroy();
  });
});

describe('audit retention (AUDIT_RETENTION_DAYS)', () => {
  it('gives events an expiresAt (the table TTL attribute) at their time + the retention, and none without', async () => {
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT! });
    // In the future, so DynamoDB Local's TTL sweep never removes these events before they are read.
    const frozen = { now: () => new Date('2096-11-30T12:00:00.000Z') };
    const retained = new DynamoAuditLog(client, stack.tables.audit, frozen, { retentionDays: 30 });
    const kept = new DynamoAuditLog(client, stack.tables.audit, frozen);
    const a = fresh();
    const b = fresh();
    const at = '2096-11-30T12:00:00.000Z';
    await retained.record({ type: 'lockout', at, lineUserId: a.lineUserId, code: 'too-many-attempts' });
    await kept.record({ type: 'lockout', at, lineUserId: b.lineUserId, code: 'too-many-attempts' });
    // An event written inside a link transaction carries it too.
    const links = new DynamoLinkRepository(client, stack.tables.links, retained.transactionWrites());
    await links.create({ lineUserId: a.lineUserId, companyUserId: a.memberId, method: 'oidc', linkedAt: at });

    const raw = (await stack.scan('audit')).filter(
      (item) => (item.lineUserId as { S: string }).S === a.lineUserId,
    );
    expect(raw).toHaveLength(2);
    const expected = String(Date.parse(at) / 1000 + 30 * 86_400);
    for (const item of raw) expect(item.expiresAt).toEqual({ N: expected });
    const other = (await stack.scan('audit')).filter(
      (item) => (item.lineUserId as { S: string }).S === b.lineUserId,
    );
    expect(other).toHaveLength(1);
    expect(other[0]!.expiresAt).toBeUndefined();
    // The history still reads both kinds.
    expect((await retained.listByLineUserId(a.lineUserId, { limit: 10 })).events).toHaveLength(2);
    client.destroy();
  });
});

describe('GET /links/me/history', () => {
  it("returns the caller's own events, newest first, with pagination", async () => {
    const me = fresh();
    const other = fresh();
    const token = await lineToken(me.lineUserId);
    await post(await lineToken(other.lineUserId), { companyIdToken: await companyToken(other.memberId) });
    await post(token, { companyIdToken: await companyToken(me.memberId), consentVersion: 'v1' }); // link
    await post(token, { companyIdToken: await companyToken(me.memberId) }); // relink
    await call(stack.api.url, 'DELETE', '/links/me', { token }); // unlink (+ deauthorize not possible)
    await post(token, { companyIdToken: await companyToken(me.memberId), consentVersion: 'v2' }); // link again
    // The deauthorize event may share the unlink's millisecond, so its place next to it is not asserted.
    const withoutDeauthorize = (events: Array<{ type?: unknown }>) =>
      events.map((e) => e.type).filter((type) => type !== 'deauthorize');

    const all = await history(token);
    expect(all.status).toBe(200);
    expect(all.headers.get('cache-control')).toBe('no-store');
    const body = all.body as { events: Array<Record<string, unknown>>; nextCursor?: string };
    expect(body.events.map((e) => e.type)).toContain('deauthorize');
    expect(withoutDeauthorize(body.events)).toEqual(['link', 'unlink', 'relink', 'link']);
    expect(body.events[0]).toEqual({
      type: 'link',
      at: expect.any(String),
      lineUserId: me.lineUserId,
      companyUserId: me.memberId,
      method: 'oidc',
      channelId: CH,
      consentVersion: 'v2',
    });
    expect(body.events.every((e) => e.lineUserId === me.lineUserId)).toBe(true);

    const first = await history(token, '?limit=4');
    const firstBody = first.body as { events: Array<{ type: string }>; nextCursor?: string };
    expect(withoutDeauthorize(firstBody.events)).toEqual(['link', 'unlink', 'relink']);
    expect(firstBody.nextCursor).toEqual(expect.any(String));
    const second = await history(token, `?limit=4&cursor=${encodeURIComponent(firstBody.nextCursor!)}`);
    expect((second.body as { events: Array<{ type: string }> }).events.map((e) => e.type)).toEqual(['link']);
    expect((second.body as { nextCursor?: string }).nextCursor).toBeUndefined();

    // A cursor only positions within the caller's own events: another user gets their own.
    const theirs = await history(
      await lineToken(other.lineUserId),
      `?cursor=${encodeURIComponent(firstBody.nextCursor!)}`,
    );
    expect(theirs.status).toBe(200);
    for (const e of (theirs.body as { events: Array<{ lineUserId: string }> }).events) {
      expect(e.lineUserId).toBe(other.lineUserId);
    }
  });

  it('answers an empty history for a user without events', async () => {
    const response = await history(await lineToken(fresh().lineUserId));
    expect(response).toMatchObject({ status: 200, body: { events: [] } });
  });

  it('requires a verified LINE identity', async () => {
    expect(await history(undefined)).toMatchObject({ status: 401, body: { code: 'missing-line-token' } });
    expect(await history('forged')).toMatchObject({ status: 401, body: { code: 'invalid-line-token' } });
  });

  it('refuses bad paging parameters with 400', async () => {
    const token = await lineToken(fresh().lineUserId);
    for (const query of [
      '?limit=0',
      '?limit=101',
      '?limit=abc',
      '?limit=-1',
      '?cursor=%%%',
      '?cursor=bm90LWEtY3Vyc29y',
    ]) {
      const response = await history(token, query);
      expect({ query, status: response.status, code: (response.body as { code?: string }).code }).toEqual({
        query,
        status: 400,
        code: 'invalid-request',
      });
    }
  });
});
