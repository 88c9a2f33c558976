import { createHmac, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { parse } from 'csv-parse/sync';
import {
  DEFAULT_COMPANY_MEMBERS,
  testLineUserId,
} from '../../../functions/local/emulators/test-identities.js';
import { EXPORT_COLUMNS } from '../../../functions/adapters/dynamo/dynamo-table-scan-export.js';
import { runExportCli } from '../../../functions/export/cli.js';
import { auditLog } from '../../../functions/composition/adapters.js';
import { createWiring } from '../../../functions/composition/wiring.js';
import { systemClock } from '../../../functions/core/ports/index.js';
import { createRichMenuStreamHandler } from '../../../functions/handlers/rich-menu-stream.js';
import { lambdaContext } from '../../../functions/local/api-gateway-adapter.js';
import {
  ADMIN_ACTIONS,
  ADMIN_EVENT_TYPE,
  AUDIT_EVENT_TYPES,
  AUDIT_ITEM_FIELDS,
} from '../../../functions/manifest/audit-fields.js';
import { adminCall, testAdminCredentials } from '../../support/admin-client.js';
import { call } from '../../support/http.js';
import { startLineBotFake, type LineBotFake } from '../../support/line-bot-fake.js';
import { importSample, TEST_PEPPER } from '../../support/member-data.js';
import { startTestStack, type TestStack } from '../../support/test-stack.js';

/**
 * `npm run export -- --audit` carries every event the audit table holds, with every field. Each
 * event type and each admin action is written here the way the service writes it (its routes, so
 * its real use cases and adapters, over DynamoDB Local); the export, run through the CLI entry,
 * must then give back exactly the items of the table: every row, every field, nothing dropped.
 */

const MESSAGING = { channelId: '2000000301', channelSecret: 'messaging-channel-secret-audit-exp' };
const BOT = `U${'0'.repeat(32)}`;
const credentials = testAdminCredentials();
let stack: TestStack;
let bot: LineBotFake;

beforeAll(async () => {
  bot = await startLineBotFake(MESSAGING);
  stack = await startTestStack(
    {
      MEMBER_HASH_PEPPER: TEST_PEPPER,
      MEMBER_FACTORS: 'birthDate,postalCode',
      LINE_API_BASE: bot.url,
      LINE_MESSAGING_CHANNEL_ID: MESSAGING.channelId,
      LINE_MESSAGING_CHANNEL_SECRET: MESSAGING.channelSecret,
      LINE_BOT_USER_ID: BOT,
    },
    { iam: credentials },
  );
  bot.upstream = stack.line.url;
  await importSample(stack.tables.members);
}, 60_000);
afterAll(async () => {
  await stack.close();
  await bot.close();
});

const api = () => stack.api.url;
const admin = (method: string, path: string, json?: unknown) =>
  adminCall(api(), method, path, credentials, { json });
const stamp = `${Date.now()}`;
const lineUser = (label: string) => testLineUserId(`audit-export-${label}-${stamp}`);

async function idToken(lineUserId: string) {
  return stack.line.mintIdToken({ userId: lineUserId });
}

async function postLink(lineUserId: string, memberId: string, consentVersion?: string) {
  return call(api(), 'POST', '/links', {
    token: await idToken(lineUserId),
    json: {
      companyIdToken: await stack.company.mintIdToken({ sub: memberId }),
      ...(consentVersion ? { consentVersion } : {}),
    },
  });
}

/** Posts signed webhook events as LINE does. */
async function webhook(...events: Array<Record<string, unknown>>) {
  const body = JSON.stringify({ destination: BOT, events });
  const res = await fetch(`${api()}/webhook/line`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-line-signature': createHmac('sha256', MESSAGING.channelSecret).update(body).digest('base64'),
    },
    body,
  });
  expect(res.status).toBe(200);
}
const webhookEvent = (type: string, userId: string, timestamp = Date.now(), extra = {}) => ({
  type,
  mode: 'active',
  timestamp,
  source: { type: 'user', userId },
  webhookEventId: `01J${randomBytes(12).toString('hex').toUpperCase()}`,
  deliveryContext: { isRedelivery: false },
  ...extra,
});

/** Every item of the audit table, as plain values (paginated). */
async function auditItems(): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await stack.dynamo.send(
      new ScanCommand({ TableName: stack.tables.audit, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

async function exportAudit(format: 'csv' | 'jsonl', extra: string[] = []) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runExportCli(
    [
      '--audit',
      '--format',
      format,
      '--endpoint',
      process.env.DYNAMODB_ENDPOINT!,
      '--table',
      stack.tables.audit,
      ...extra,
    ],
    { env: { EXPORT_PSEUDONYM_KEY: PSEUDONYM_KEY }, stdout, stderr, endpointFile: '/nonexistent' },
  );
  expect({ code, err }).toEqual({ code: 0, err: expect.stringMatching(/^Exported \d+ audit events/) });
  return out;
}
const PSEUDONYM_KEY = 'an-audit-export-pseudonym-key-0123456789';

/** An item as the export should give it: its event fields, without the key and the TTL. */
function expectedRow(item: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of EXPORT_COLUMNS.audit) if (item[column] !== undefined) row[column] = item[column];
  return row;
}
const byText = (rows: Array<Record<string, unknown>>) => rows.map((r) => JSON.stringify(r)).sort();

describe('npm run export -- --audit', () => {
  beforeAll(async () => {
    const [linker, rival, cleared, erased, guesser] = ['a', 'b', 'c', 'd', 'e'].map(lineUser) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const member = `M-AUDIT-EXPORT-A-${stamp}`;
    // link (with a consent version and a channel), relink (the same pair again), conflict (another
    // LINE user for the same member).
    expect((await postLink(linker, member, 'tos-2026-01')).status).toBe(201);
    expect((await postLink(linker, member, 'tos-2026-01')).status).toBe(200);
    expect((await postLink(rival, member)).status).toBe(409);
    // follow, unfollow, and a webhook event dated far in the future (ignored, audited).
    await webhook(webhookEvent('follow', linker, Date.now(), { replyToken: randomBytes(8).toString('hex') }));
    await webhook(webhookEvent('unfollow', linker, Date.now() + 1));
    await webhook(webhookEvent('unfollow', linker, Date.now() + 365 * 86_400_000));
    // unlink by the user, and deauthorize after it (an ID token: not possible, audited).
    const unlinked = await call(api(), 'DELETE', '/links/me', { token: await idToken(linker) });
    expect(unlinked.status).toBe(204);
    // lockout: wrong details for an imported member until it locks.
    const locked = DEFAULT_COMPANY_MEMBERS[3]!;
    const guesserToken = await idToken(guesser);
    let status = 0;
    for (let i = 0; i < 10 && status !== 429; i++) {
      status = (
        await call(api(), 'POST', '/links/by-record', {
          token: guesserToken,
          json: { memberId: locked.memberId, factors: { birthDate: '1901-01-01', postalCode: '000-0000' } },
        })
      ).status;
    }
    expect(status).toBe(429);
    // Every admin action: lookup, unlink, unlock, erase, message (a job, with its ID), audience.
    const other = `M-AUDIT-EXPORT-C-${stamp}`;
    expect((await postLink(cleared, other)).status).toBe(201);
    expect((await admin('GET', `/admin/links/company/${other}`)).status).toBe(200);
    expect(
      (await admin('POST', `/admin/links/company/${other}/unlink`, { reason: 'membership-ended' })).status,
    ).toBe(200);
    expect(
      (await admin('POST', `/admin/members/${locked.memberId}/unlock`, { lineUserId: guesser })).status,
    ).toBe(200);
    const erasedMember = `M-AUDIT-EXPORT-D-${stamp}`;
    expect((await postLink(erased, erasedMember)).status).toBe(201);
    expect(
      (await admin('POST', `/admin/links/company/${erasedMember}/unlink`, { reason: 'erasure-request' }))
        .status,
    ).toBe(200);
    const to = Array.from({ length: 501 }, (_, i) => `M-AUDIT-EXPORT-JOB-${stamp}-${i}`);
    const job = await admin('POST', '/admin/messages', { to, messages: [{ type: 'text', text: 'hello' }] });
    expect(job.status).toBe(202);
    const { jobId } = job.body as { jobId: string };
    for (let i = 0; i < 100; i++) {
      const state = await admin('GET', `/admin/messages/jobs/${jobId}`);
      if ((state.body as { status?: string }).status === 'done') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // audience: a job building a LINE audience (the member is not linked any more: none uploaded).
    const audience = await admin('POST', '/admin/audiences', {
      description: `audit ${stamp}`,
      memberIds: [other],
    });
    expect(audience.status).toBe(202);
    const audienceJobId = (audience.body as { jobId: string }).jobId;
    for (let i = 0; i < 100; i++) {
      const state = await admin('GET', `/admin/audiences/jobs/${audienceJobId}`);
      if ((state.body as { status?: string }).status === 'done') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // rich-menu: the rich menu stream function's handler on a links table record of the first
    // link, with the real audit log (LINE's rich menu API answers as a stub).
    const richMenus = createRichMenuStreamHandler({
      richMenus: {
        linkToUser: async () => undefined,
        unlinkFromUser: async () => undefined,
        linkToUsers: async () => undefined,
        unlinkFromUsers: async () => undefined,
      },
      audit: auditLog(createWiring(stack.env(), 'in-process')),
      clock: systemClock,
      settings: { linkedId: `richmenu-${'0'.repeat(32)}` },
    });
    const side = {
      pk: { S: `LINE#${linker}` },
      lineUserId: { S: linker },
      companyUserId: { S: member },
    };
    await richMenus(
      {
        Records: [
          {
            eventID: `rich-menu-${stamp}`,
            eventName: 'INSERT',
            dynamodb: {
              NewImage: side as never,
              ApproximateCreationDateTime: Date.now() / 1000,
              SequenceNumber: '1',
            },
          },
        ],
      },
      lambdaContext('rich-menu-stream', stamp),
    );
  }, 60_000);

  test('the events written cover every event type, every admin action and every field', async () => {
    const items = await auditItems();
    const types = new Set(items.map((i) => i.type));
    expect([...types].sort()).toEqual([...AUDIT_EVENT_TYPES, ADMIN_EVENT_TYPE].sort());
    const actions = new Set(items.filter((i) => i.type === ADMIN_EVENT_TYPE).map((i) => i.action));
    expect([...actions].sort()).toEqual([...ADMIN_ACTIONS].sort());
    // Each field of the trail's layout was written at least once, and no item holds another.
    const written = new Set(items.flatMap((i) => Object.keys(i)));
    expect([...written].sort()).toEqual([...Object.keys(AUDIT_ITEM_FIELDS), 'pk', 'sk'].sort());
  });

  test('JSONL gives back every item of the table, every field with its type', async () => {
    const items = await auditItems();
    const rows = (await exportAudit('jsonl'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(items.length);
    expect(byText(rows)).toEqual(byText(items.map(expectedRow)));
    // Keys in column order; the number field as a JSON number.
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(EXPORT_COLUMNS.audit.filter((c) => c in row));
    }
    expect(rows.find((r) => r.jobId !== undefined)?.recipients).toBe(501);
  });

  test('CSV has one column per field and the same values, as text', async () => {
    const items = await auditItems();
    const [header, ...data] = parse(await exportAudit('csv', ['--no-formula-guard'])) as string[][];
    expect(header).toEqual(Object.keys(AUDIT_ITEM_FIELDS));
    const asCells = (item: Record<string, unknown>) =>
      header!.map((column) => (item[column] === undefined ? '' : String(item[column])));
    expect(data.map((r) => JSON.stringify(r)).sort()).toEqual(
      items.map((i) => JSON.stringify(asCells(i))).sort(),
    );
  });

  test('--pseudonymize replaces LINE user IDs in every row, admin actions included, and nothing else', async () => {
    const items = await auditItems();
    const hash = (id: string) => createHmac('sha256', PSEUDONYM_KEY).update(id).digest('hex');
    const rows = (await exportAudit('jsonl', ['--pseudonymize']))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const expected = items.map((item) => {
      const row = expectedRow(item);
      if (typeof row.lineUserId === 'string') row.lineUserId = hash(row.lineUserId);
      return row;
    });
    expect(byText(rows)).toEqual(byText(expected));
    expect(rows.some((r) => r.type === ADMIN_EVENT_TYPE && typeof r.lineUserId === 'string')).toBe(true);
    expect(JSON.stringify(rows)).not.toMatch(/"U[0-9a-f]{32}"/);
  });
});
