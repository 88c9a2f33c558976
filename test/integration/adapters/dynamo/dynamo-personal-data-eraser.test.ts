import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../../../../functions/adapters/dynamo/dynamo-audit-log.js';
import { createDocumentClient } from '../../../../functions/adapters/dynamo/dynamo-client.js';
import {
  companyKey,
  DynamoLinkRepository,
  lineKey,
} from '../../../../functions/adapters/dynamo/dynamo-link-repository.js';
import { DynamoMessageJobStore } from '../../../../functions/adapters/dynamo/dynamo-message-job-store.js';
import {
  DynamoPersonalDataEraser,
  mentions,
} from '../../../../functions/adapters/dynamo/dynamo-personal-data-eraser.js';
import { friendKey } from '../../../../functions/adapters/dynamo/friendship-item.js';
import { createPseudonymizer } from '../../../../functions/adapters/crypto/hmac-pseudonymizer.js';
import type { Clock } from '../../../../functions/core/ports/index.js';
import { testLineUserId } from '../../../../functions/local/emulators/test-identities.js';
import { ensureTables, localClient, taggedTableNames } from '../../../../functions/local/dynamodb-local.js';
import { startDynamoFaultProxy, type DynamoFaultProxy } from '../../../support/dynamo-fault-proxy.js';

/**
 * The eraser's edges against DynamoDB Local: a former LINE user of the member who is linked to
 * someone else today keeps that link and its history (only the member's number goes), and a
 * message job batch the worker completes while the erasure rewrites it is read again, not
 * overwritten (the worker's write lands between the eraser's read and its write, held back by
 * the fault proxy). The whole erasure over HTTP: test/integration/admin/admin-erasure.test.ts.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const tables = taggedTableNames(`eraser-${randomBytes(4).toString('hex')}`);
const KEY = 'an-eraser-test-pseudonym-key-0123456789abcdef';
const pseudonym = (id: string) => `pseudonym:${createPseudonymizer(KEY)(id)}`;
const clock: Clock = { now: () => new Date('2026-12-01T09:00:00.000Z') };

let doc: DynamoDBDocumentClient;
let proxy: DynamoFaultProxy;
let proxied: DynamoDBDocumentClient;
let eraser: DynamoPersonalDataEraser;

beforeAll(async () => {
  const raw = localClient(endpoint);
  await ensureTables(raw, tables);
  raw.destroy();
  doc = createDocumentClient({ endpoint });
  proxy = await startDynamoFaultProxy(endpoint);
  proxied = createDocumentClient({ endpoint: proxy.endpoint });
  eraser = new DynamoPersonalDataEraser({
    client: proxied,
    tables,
    pseudonymizer: async () => createPseudonymizer(KEY),
  });
});
afterAll(async () => {
  doc.destroy();
  proxied.destroy();
  await proxy.close();
});

async function all(table: keyof typeof tables): Promise<Array<Record<string, unknown>>> {
  return (await doc.send(new ScanCommand({ TableName: tables[table], ConsistentRead: true }))).Items ?? [];
}

describe('DynamoPersonalDataEraser', () => {
  test('leaves a former LINE user who is linked to another member today with that link and its history', async () => {
    const stamp = randomBytes(4).toString('hex');
    const [erased, other] = [`M-GONE-${stamp}`, `M-STAYS-${stamp}`];
    const shared = testLineUserId(`eraser-shared-${stamp}`);
    const audit = new DynamoAuditLog(doc, tables.audit, clock);
    const links = new DynamoLinkRepository(doc, tables.links, audit.transactionWrites());
    const linkedAt = clock.now().toISOString();
    // The LINE user linked to the erased member first, unlinked, then linked to the other member.
    await links.create({ lineUserId: shared, companyUserId: erased, method: 'oidc', linkedAt });
    expect(await links.deleteByLineUserId(shared)).toBeDefined();
    await links.create({ lineUserId: shared, companyUserId: other, method: 'oidc', linkedAt });
    await doc.send(
      new PutCommand({
        TableName: tables.messaging,
        Item: { pk: friendKey(shared), friend: true, friendUpdatedAt: linkedAt },
      }),
    );

    const report = await eraser.erase({ companyUserId: erased, at: linkedAt });

    // The other member's link, both sides, and the LINE user's friendship are untouched.
    const get = async (table: keyof typeof tables, pk: string) =>
      (await doc.send(new GetCommand({ TableName: tables[table], Key: { pk } }))).Item;
    expect(await get('links', lineKey(shared))).toMatchObject({ companyUserId: other });
    expect(await get('links', companyKey(other))).toMatchObject({ lineUserId: shared });
    expect(await get('messaging', friendKey(shared))).toMatchObject({ friend: true });
    // Its history stays in its partition; the erased member's number is a pseudonym there.
    const history = (await all('audit')).filter((i) => i.pk === lineKey(shared));
    expect(history.map((i) => [i.type, i.companyUserId]).sort()).toEqual(
      [
        ['link', pseudonym(erased)],
        ['link', other],
        ['unlink', pseudonym(erased)],
      ].sort(),
    );
    expect(JSON.stringify([await all('audit'), await all('links')])).not.toContain(erased);
    expect(report).toMatchObject({ audit: { pseudonymized: 2 } });
    expect(report.links).toBeUndefined();
  });

  test('reads a job batch again when the worker completes it during the erasure, and keeps its counts', async () => {
    const stamp = randomBytes(4).toString('hex');
    const [erased, kept] = [`M-JOB-GONE-${stamp}`, `M-JOB-KEPT-${stamp}`];
    const jobs = new DynamoMessageJobStore(doc, tables.jobs);
    const jobId = `job-${stamp}`;
    await jobs.create({
      jobId,
      createdAt: clock.now().toISOString(),
      actor: 'arn:aws:iam::123456789012:user/ops',
      messages: [{ type: 'text', text: 'hi' }],
      batches: [[erased, kept]],
    });
    // The eraser's first write to the batch is held back; meanwhile the worker completes it.
    proxy.clear();
    let held!: () => void;
    const writeHeld = new Promise<void>((resolve) => (held = resolve));
    proxy.inject({
      operation: 'UpdateItem',
      table: tables.jobs,
      kind: 'stall',
      stallMs: 1000,
      when: () => {
        held();
        return true;
      },
    });
    const erasure = eraser.erase({ companyUserId: erased, at: clock.now().toISOString() });
    await writeHeld;
    expect(
      await jobs.completeBatch({ jobId, batch: 0 }, [
        { companyUserId: erased, status: 'sent' },
        { companyUserId: kept, status: 'not-linked' },
      ]),
    ).toBe(true);
    const report = await erasure;

    // The held-back write failed its condition, and the batch was rewritten from what the worker wrote.
    expect(proxy.count({ operation: 'UpdateItem', table: tables.jobs })).toBe(2);
    expect(report).toMatchObject({ jobs: { pseudonymized: 1 } });
    const batch = await jobs.batch({ jobId, batch: 0 });
    expect(batch).toMatchObject({ done: true, companyUserIds: [pseudonym(erased), kept] });
    expect(await jobs.results(jobId, 0)).toEqual({
      results: [
        { companyUserId: pseudonym(erased), status: 'sent' },
        { companyUserId: kept, status: 'not-linked' },
      ],
    });
    expect(await jobs.get(jobId)).toMatchObject({
      status: 'done',
      total: 2,
      batchesDone: 1,
      counts: { sent: 1, 'not-linked': 1, 'not-friend': 0, failed: 0 },
    });
    expect(JSON.stringify(await all('jobs'))).not.toContain(erased);
  });

  test.each([
    [{ pk: 'FRIEND#U1' }, 'U1', true],
    [{ pk: 'FRIEND#U10' }, 'U1', false],
    [{ pk: 'LOGIN#company#U1' }, 'U1', true],
    [{ pk: 'X', companyUserIds: ['M-1', 'M-2'] }, 'M-1', true],
    [{ pk: 'X', companyUserIds: ['M-10'] }, 'M-1', false],
    [{ pk: 'X', results: '[["M-1","sent"]]' }, 'M-1', true],
    [{ pk: 'X', results: '[["M-10","sent"]]' }, 'M-1', false],
    [{ pk: 'X', work: '{"kind":"link-token","lineUserId":"U1"}' }, 'U1', true],
    [{ pk: 'X', lineUserId: 'U1' }, 'U1', true],
    [{ pk: 'X', note: 'U1' }, 'U1', false],
  ])('finds %j naming %s exactly: %s', (item, value, expected) => {
    expect(mentions(item, value)).toBe(expected);
  });
});
