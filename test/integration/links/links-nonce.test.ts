import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { linkNonceKey } from '../../../functions/adapters/dynamo/dynamo-link-nonce-store.js';
import { testLineUserId } from '../../../functions/local/emulators/test-identities.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../support/dynamo-fault-proxy.js';
import { call } from '../../support/http.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * Seed 001's server-issued nonce for app logins: `POST /links/nonce` issues it, and with
 * LINE_REQUIRE_NONCE on, `POST /links` takes only a LINE ID token whose `nonce` is an unused one
 * (the LINE emulator mints SDK-style ES256 ID tokens with a given nonce), used up in the link's
 * own transaction: once, by one link, recognised after a lost answer, left unused by a refusal.
 * DynamoDB is reached through a fault proxy (test/support/dynamo-fault-proxy.ts).
 */

let proxy: DynamoFaultProxy;
let stack: TestStack;
beforeAll(async () => {
  proxy = await startDynamoFaultProxy(process.env.DYNAMODB_ENDPOINT!);
  stack = await startTestStack({ DYNAMODB_ENDPOINT: proxy.endpoint, LINE_REQUIRE_NONCE: 'true' });
});
afterAll(async () => {
  await stack.close();
  await proxy.close();
});
beforeEach(() => proxy.clear());

let seq = 0;
function fresh() {
  seq++;
  return {
    lineUserId: testLineUserId(`nonce-${seq}-${Date.now()}`),
    memberId: `M-N${seq}-${Date.now()}`,
  };
}

async function issue(): Promise<{ nonce: string; expiresAt: string }> {
  const response = await call(stack.api.url, 'POST', '/links/nonce');
  expect(response.status).toBe(201);
  return response.body as { nonce: string; expiresAt: string };
}

/** `POST /links` as an app: an SDK ID token carrying `nonce` (none when undefined), a company ID token. */
async function link(user: { lineUserId: string; memberId: string }, nonce: string | undefined) {
  return call(stack.api.url, 'POST', '/links', {
    token: await stack.line.mintIdToken({
      userId: user.lineUserId,
      ...(nonce !== undefined ? { nonce } : {}),
    }),
    json: { companyIdToken: await stack.company.mintIdToken({ sub: user.memberId }) },
  });
}

const str = (value: unknown) => (value as { S?: string } | undefined)?.S;
const nonceItem = async (nonce: string) =>
  (await stack.scan('sessions')).find((i) => str(i.pk) === linkNonceKey(nonce));
const linkOf = async (lineUserId: string) =>
  (await stack.scan('links')).find((i) => str(i.pk) === `LINE#${lineUserId}`);
const auditOf = async (lineUserId: string) =>
  (await stack.scan('audit')).filter((i) => str(i.lineUserId) === lineUserId).map((i) => str(i.type));

describe('POST /links/nonce', () => {
  it('issues 256 random bits, base64url, for LINK_NONCE_TTL_SECONDS, stored by its hash with a TTL', async () => {
    const before = Date.now();
    const response = await call(stack.api.url, 'POST', '/links/nonce');
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { nonce, expiresAt } = response.body as { nonce: string; expiresAt: string };
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ttl = (Date.parse(expiresAt) - before) / 1000;
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(601);
    const item = await nonceItem(nonce);
    expect(Number((item?.expiresAt as { N: string }).N)).toBe(Date.parse(expiresAt) / 1000);
    expect(JSON.stringify(await stack.scan('sessions'))).not.toContain(nonce);
    expect((await issue()).nonce).not.toBe(nonce);
  });
});

describe('LINE_REQUIRE_NONCE: the LINE credential must carry an issued nonce', () => {
  it('an ID token with an issued nonce links and uses the nonce up', async () => {
    const user = fresh();
    const { nonce } = await issue();
    const response = await link(user, nonce);
    expect(response.status).toBe(201);
    expect(str((await nonceItem(nonce))?.usedBy)).toBe(`${user.lineUserId} ${user.memberId}`);
  });

  it('a LINE access token: 401 line-nonce-required, LINE not even asked', async () => {
    const user = fresh();
    const verifies = stack.line.stats.verify;
    const response = await call(stack.api.url, 'POST', '/links', {
      token: await stack.line.mintAccessToken({ userId: user.lineUserId }),
      json: { companyIdToken: await stack.company.mintIdToken({ sub: user.memberId }) },
    });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'line-nonce-required' });
    expect(stack.line.stats.verify).toBe(verifies);
    expect(await linkOf(user.lineUserId)).toBeUndefined();
  });

  it('an ID token without a nonce claim: 401 line-nonce-required', async () => {
    const user = fresh();
    const response = await link(user, undefined);
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'line-nonce-required' });
    expect(await linkOf(user.lineUserId)).toBeUndefined();
  });

  it.each([
    ['never issued', async () => 'x'.repeat(43)],
    [
      'expired',
      async () => {
        const nonce = 'expired-nonce-'.padEnd(43, 'e');
        await stack.dynamo.send(
          new PutItemCommand({
            TableName: stack.tables.sessions,
            Item: {
              pk: { S: linkNonceKey(nonce) },
              expiresAt: { N: String(Math.floor(Date.now() / 1000) - 5) },
            },
          }),
        );
        return nonce;
      },
    ],
  ])('a nonce %s: 401 line-nonce-rejected, nothing written', async (_, nonce) => {
    const user = fresh();
    const response = await link(user, await nonce());
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'line-nonce-rejected' });
    expect(await linkOf(user.lineUserId)).toBeUndefined();
    expect(await auditOf(user.lineUserId)).toEqual([]);
  });

  it('reused: by another link 401 line-nonce-rejected; the same request again is a retry (200)', async () => {
    const a = fresh();
    const b = fresh();
    const { nonce } = await issue();
    expect((await link(a, nonce)).status).toBe(201);
    expect((await link(a, nonce)).status).toBe(200);
    const replayed = await link(b, nonce);
    expect(replayed.status).toBe(401);
    expect(replayed.body).toMatchObject({ code: 'line-nonce-rejected' });
    expect(await linkOf(b.lineUserId)).toBeUndefined();
    // Once A unlinks, the same nonce cannot link A again.
    await call(stack.api.url, 'DELETE', '/links/me', {
      token: await stack.line.mintIdToken({ userId: a.lineUserId }),
    });
    expect((await link(a, nonce)).body).toMatchObject({ code: 'line-nonce-rejected' });
  });

  it('a refused link (409) leaves the nonce unused for the next try', async () => {
    const holder = fresh();
    const user = { ...fresh(), memberId: holder.memberId };
    expect((await link(holder, (await issue()).nonce)).status).toBe(201);
    const { nonce } = await issue();
    expect((await link(user, nonce)).status).toBe(409);
    expect((await nonceItem(nonce))?.usedBy).toBeUndefined();
    expect((await link({ ...user, memberId: fresh().memberId }, nonce)).status).toBe(201);
  });

  it('two links at once with one nonce: one wins, the other is refused', async () => {
    const a = fresh();
    const b = fresh();
    const { nonce } = await issue();
    const answers = await Promise.all([link(a, nonce), link(b, nonce)]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 401]);
    expect(answers.find((r) => r.status === 401)?.body).toMatchObject({ code: 'line-nonce-rejected' });
    const linked = [await linkOf(a.lineUserId), await linkOf(b.lineUserId)].filter(Boolean);
    expect(linked).toHaveLength(1);
  });

  it("the link transaction's answer lost: the SDK's retry is recognised as this link (201), the nonce used once", async () => {
    const user = fresh();
    const { nonce } = await issue();
    proxy.inject({ operation: 'TransactWriteItems', table: stack.tables.links, kind: 'reset-after' });
    const response = await link(user, nonce);
    expect(response.status).toBe(201);
    const sent = proxy.calls.filter((c) => c.operation === 'TransactWriteItems');
    expect(sent.map((c) => c.fault)).toEqual(['reset-after', undefined]);
    expect(str((await linkOf(user.lineUserId))?.companyUserId)).toBe(user.memberId);
    expect(await auditOf(user.lineUserId)).toEqual(['link']);
    expect(str((await nonceItem(nonce))?.usedBy)).toBe(`${user.lineUserId} ${user.memberId}`);
  }, 20_000);
});

describe('LINE_REQUIRE_NONCE off (the default, for LIFF)', () => {
  let plain: TestStack;
  beforeAll(async () => {
    plain = await startTestStack();
  });
  afterAll(() => plain.close());

  it('an ID token without nonce links; an issued nonce is not needed', async () => {
    const user = fresh();
    const response = await call(plain.api.url, 'POST', '/links', {
      token: await plain.line.mintIdToken({ userId: user.lineUserId }),
      json: { companyIdToken: await plain.company.mintIdToken({ sub: user.memberId }) },
    });
    expect(response.status).toBe(201);
  });
});
