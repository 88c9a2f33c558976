import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parse } from 'csv-parse/sync';
import { DynamoAuditLog } from '../../../../functions/adapters/dynamo/dynamo-audit-log.js';
import { createDocumentClient } from '../../../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoLinkRepository } from '../../../../functions/adapters/dynamo/dynamo-link-repository.js';
import type { AuditEvent } from '../../../../functions/core/ports/index.js';
import type { Link } from '../../../../functions/core/link.js';
import { ensureTables, localClient, taggedTableNames } from '../../../../functions/local/dynamodb-local.js';
import { runExportCli } from '../../../../functions/export/cli.js';
import { createPseudonymizer } from '../../../../functions/adapters/crypto/hmac-pseudonymizer.js';
import { AUDIT_ITEM_FIELDS } from '../../../../functions/manifest/audit-fields.js';
import {
  exportTableByScan,
  type ScanExportOptions,
} from '../../../../functions/adapters/dynamo/dynamo-table-scan-export.js';

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const tables = taggedTableNames(`export-${randomBytes(4).toString('hex')}`);
let client: DynamoDBClient;

/** Links whose values need every kind of CSV care. */
const LINKS: Link[] = [
  {
    lineUserId: 'U00000000000000000000000000000001',
    companyUserId: 'M-1,with,commas',
    method: 'oidc',
    linkedAt: '2026-01-01T00:00:00.000Z',
    channelId: '1234567890',
  },
  {
    lineUserId: 'U00000000000000000000000000000002',
    companyUserId: 'M-2 "quoted"',
    method: 'api',
    linkedAt: '2026-02-01T12:00:00.000Z',
  },
  {
    lineUserId: 'U00000000000000000000000000000003',
    companyUserId: 'M-3\nsecond line',
    method: 'record',
    linkedAt: '2026-03-01T00:00:00.000Z',
  },
  {
    lineUserId: 'U00000000000000000000000000000004',
    companyUserId: '会員-４ 佐藤花子 🎉',
    method: 'oidc',
    linkedAt: '2026-03-15T09:30:00.000Z',
    channelId: '1122334455',
  },
  {
    lineUserId: 'U00000000000000000000000000000005',
    companyUserId: 'M-5\r\n"all", of it',
    method: 'account-link',
    linkedAt: '2026-04-01T00:00:00.000Z',
  },
];

/** Enough plain links to span several pages at a small page size. */
const MANY = Array.from({ length: 250 }, (_, i): Link => ({
  lineUserId: `U${String(i).padStart(32, 'a')}`,
  companyUserId: `M-BULK-${i}`,
  method: 'record',
  linkedAt: `2025-06-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`,
}));

const EVENTS: AuditEvent[] = [
  {
    type: 'link',
    at: '2026-01-01T00:00:00.000Z',
    lineUserId: LINKS[0]!.lineUserId,
    companyUserId: LINKS[0]!.companyUserId,
    method: 'oidc',
    consentVersion: 'tos-1',
  },
  {
    type: 'conflict',
    at: '2026-02-01T00:00:00.000Z',
    lineUserId: LINKS[1]!.lineUserId,
    companyUserId: 'M-X',
    method: 'api',
    channelId: '1234567890',
    code: 'company-user-already-linked',
  },
  {
    type: 'unlink',
    at: '2026-03-01T00:00:00.000Z',
    lineUserId: LINKS[0]!.lineUserId,
    companyUserId: LINKS[0]!.companyUserId,
    method: 'oidc',
  },
];

beforeAll(async () => {
  client = localClient(endpoint);
  await ensureTables(client, tables);
  const doc = createDocumentClient({ endpoint });
  const audit = new DynamoAuditLog(doc, tables.audit);
  // Links are written the real way (both sides, audit events in the transaction) ...
  const repository = new DynamoLinkRepository(doc, tables.links);
  for (const link of [...LINKS, ...MANY]) await repository.create(link);
  // ... and a few hand-made audit events, including a conflict.
  for (const event of EVENTS) await audit.record(event);
  doc.destroy();
}, 60_000);
afterAll(() => client.destroy());

/** Runs an export into memory. */
async function run(
  options: Partial<ScanExportOptions> & Pick<ScanExportOptions, 'format'>,
): Promise<{ text: string; rows: number }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const { rows } = await exportTableByScan({
    client,
    tableName: tables.links,
    kind: 'links',
    out,
    ...options,
  });
  out.end();
  return { text: Buffer.concat(chunks).toString('utf8'), rows };
}

const sortRows = (rows: string[][]) => [...rows].sort((a, b) => a[0]!.localeCompare(b[0]!));
const asRow = (l: Link) => [l.lineUserId, l.companyUserId, l.method, l.linkedAt, l.channelId ?? '', ''];
const ALL = [...LINKS, ...MANY];

describe('export by parallel Scan', () => {
  it.each([1, 4])('exports one CSV row per link with proper quoting (%i segments)', async (segments) => {
    const { text, rows } = await run({ format: 'csv', segments, pageLimit: 40 });
    expect(rows).toBe(ALL.length);
    const [header, ...data] = parse(text) as string[][];
    expect(header).toEqual(['lineUserId', 'companyUserId', 'method', 'linkedAt', 'channelId', 'friend']);
    expect(sortRows(data)).toEqual(sortRows(ALL.map(asRow)));
    // The quoting is RFC 4180's, byte for byte.
    expect(text).toContain(
      'U00000000000000000000000000000002,"M-2 ""quoted""",api,2026-02-01T12:00:00.000Z,,\r\n',
    );
    expect(text).toContain('U00000000000000000000000000000004,会員-４ 佐藤花子 🎉,oidc,');
    expect(text.startsWith('lineUserId,')).toBe(true);
  });

  it('starts with a UTF-8 BOM when asked (Excel)', async () => {
    const { text } = await run({ format: 'csv', bom: true, since: new Date('2026-03-15T00:00:00Z') });
    expect(text.startsWith('\uFEFFlineUserId,companyUserId,method,linkedAt,channelId,friend\r\n')).toBe(true);
    expect(parse(text, { bom: true })).toHaveLength(3);
  });

  it('exports JSONL, one object per line in column order', async () => {
    const { text } = await run({ format: 'jsonl', segments: 3 });
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(ALL.length);
    const objects = lines.map((l) => JSON.parse(l) as Link);
    expect([...objects].sort((a, b) => a.lineUserId.localeCompare(b.lineUserId))).toEqual(
      [...ALL].sort((a, b) => a.lineUserId.localeCompare(b.lineUserId)).map((l) => ({ ...l, friend: null })),
    );
    const first = objects.find((o) => o.lineUserId === LINKS[0]!.lineUserId)!;
    expect(Object.keys(first)).toEqual([
      'lineUserId',
      'companyUserId',
      'method',
      'linkedAt',
      'channelId',
      'friend',
    ]);
  });

  it('keeps only links made at or after --since', async () => {
    const { text, rows } = await run({ format: 'csv', since: new Date('2026-03-01T00:00:00.000Z') });
    expect(rows).toBe(3);
    const [, ...data] = parse(text) as string[][];
    expect(sortRows(data)).toEqual(sortRows(LINKS.slice(2).map(asRow)));
  });

  it('writes just the header when nothing matches', async () => {
    const { text, rows } = await run({ format: 'csv', since: new Date('2099-01-01T00:00:00Z') });
    expect(rows).toBe(0);
    expect(text).toBe('lineUserId,companyUserId,method,linkedAt,channelId,friend\r\n');
  });

  it('pseudonymizes LINE user IDs with a stable keyed hash and leaves the rest', async () => {
    const key = 'an-export-pseudonym-key-0123456789abcdef';
    const first = await run({
      format: 'jsonl',
      pseudonymize: createPseudonymizer(key),
      since: new Date('2026-01-01T00:00:00Z'),
    });
    const second = await run({
      format: 'jsonl',
      pseudonymize: createPseudonymizer(key),
      since: new Date('2026-01-01T00:00:00Z'),
      segments: 2,
    });
    const other = await run({
      format: 'jsonl',
      pseudonymize: createPseudonymizer(`${key}-other`),
      since: new Date('2026-01-01T00:00:00Z'),
    });
    const parseAll = (t: string) =>
      t
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Link);
    const byCompany = (rows: Link[]) => Object.fromEntries(rows.map((r) => [r.companyUserId, r.lineUserId]));
    const a = byCompany(parseAll(first.text));
    expect(byCompany(parseAll(second.text))).toEqual(a);
    for (const link of LINKS) {
      expect(a[link.companyUserId]).toBe(createHmac('sha256', key).update(link.lineUserId).digest('hex'));
      expect(byCompany(parseAll(other.text))[link.companyUserId]).not.toBe(a[link.companyUserId]);
    }
    expect(first.text).not.toMatch(/U0{31}\d/);
  });

  it('exports the audit events with their columns, pseudonymized the same way', async () => {
    const key = 'an-export-pseudonym-key-0123456789abcdef';
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const { rows } = await exportTableByScan({
      client,
      tableName: tables.audit,
      kind: 'audit',
      format: 'csv',
      out,
      pseudonymize: createPseudonymizer(key),
      since: new Date('2026-02-01T00:00:00.000Z'),
    });
    expect(rows).toBe(2);
    const [header, ...data] = parse(text) as string[][];
    // The columns the export always had come first, then the fields of the other events.
    expect(header!.slice(0, 8)).toEqual([
      'at',
      'type',
      'method',
      'lineUserId',
      'companyUserId',
      'channelId',
      'consentVersion',
      'code',
    ]);
    expect(header).toEqual(Object.keys(AUDIT_ITEM_FIELDS));
    const hash = (id: string) => createHmac('sha256', key).update(id).digest('hex');
    const empty = Array<string>(header!.length - 8).fill('');
    expect(sortRows(data)).toEqual([
      [
        '2026-02-01T00:00:00.000Z',
        'conflict',
        'api',
        hash(LINKS[1]!.lineUserId),
        'M-X',
        '1234567890',
        '',
        'company-user-already-linked',
        ...empty,
      ],
      [
        '2026-03-01T00:00:00.000Z',
        'unlink',
        'oidc',
        hash(LINKS[0]!.lineUserId),
        LINKS[0]!.companyUserId,
        '',
        '',
        '',
        ...empty,
      ],
    ]);
  });

  it('honours backpressure of a slow destination and loses nothing', async () => {
    let text = '';
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _encoding, callback) {
        writes++;
        text += chunk.toString();
        setTimeout(callback, 2);
      },
    });
    const { rows } = await exportTableByScan({
      client,
      tableName: tables.links,
      kind: 'links',
      format: 'jsonl',
      out: slow,
      segments: 4,
      pageLimit: 25,
    });
    expect(rows).toBe(ALL.length);
    expect(text.trimEnd().split('\n')).toHaveLength(ALL.length);
    expect(writes).toBeGreaterThan(4);
  });

  it('stops on a failing destination (disk full, closed pipe) instead of crashing', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    await expect(
      exportTableByScan({
        client,
        tableName: tables.links,
        kind: 'links',
        format: 'csv',
        out: failing,
        pageLimit: 20,
      }),
    ).rejects.toThrow('disk full');
  });

  it('fails cleanly on a missing table', async () => {
    await expect(run({ format: 'csv', tableName: `${tables.links}-missing` })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('export CLI against DynamoDB Local', () => {
  const dir = mkdtempSync(join(tmpdir(), 'export-it-'));

  function io(env: Record<string, string> = {}) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    return { io: { env, stdout, stderr, endpointFile: '/nonexistent' }, out: () => out, err: () => err };
  }

  it('writes a CSV file through a .partial file and reports the count', async () => {
    const file = join(dir, 'links.csv');
    const t = io();
    const code = await runExportCli(
      [
        '--endpoint',
        endpoint,
        '--table',
        tables.links,
        '--out',
        file,
        '--since',
        '2026-01-01',
        '--segments',
        '2',
      ],
      t.io,
    );
    expect({ code, err: t.err() }).toEqual({
      code: 0,
      // The rate is shown only when enough time passed for it to mean something.
      err: expect.stringMatching(
        /^Exported 5 links \(csv\) from \S+ to \S+links\.csv in \d+\.\d s( \(\d+ rows\/s\))?\.\n$/,
      ),
    });
    expect(t.out()).toBe('');
    expect(existsSync(`${file}.partial`)).toBe(false);
    const [, ...data] = parse(readFileSync(file, 'utf8')) as string[][];
    expect(sortRows(data)).toEqual(sortRows(LINKS.map(asRow)));
  });

  it('reports an unwritable --out file with exit code 1', async () => {
    const t = io();
    const file = join(dir, 'no-such-dir', 'links.csv');
    expect(await runExportCli(['--endpoint', endpoint, '--table', tables.links, '--out', file], t.io)).toBe(
      1,
    );
    expect(t.err()).toMatch(/Cannot write .*no-such-dir/);
  });

  it('streams audit JSONL to standard output, reading table names from the environment', async () => {
    const t = io({ DYNAMODB_ENDPOINT: endpoint, AUDIT_TABLE: tables.audit });
    expect(await runExportCli(['--audit', '--format', 'jsonl'], t.io)).toBe(0);
    const events = t
      .out()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEvent);
    expect(events).toHaveLength(EVENTS.length);
    expect(events).toEqual(expect.arrayContaining(EVENTS));
  });

  it('pseudonymizes with the key from EXPORT_PSEUDONYM_KEY', async () => {
    const key = 'an-export-pseudonym-key-0123456789abcdef';
    const t = io({ EXPORT_PSEUDONYM_KEY: key });
    expect(
      await runExportCli(
        ['--endpoint', endpoint, '--table', tables.links, '--pseudonymize', '--since', '2026-04-01'],
        t.io,
      ),
    ).toBe(0);
    expect(t.out()).toContain(`${createHmac('sha256', key).update(LINKS[4]!.lineUserId).digest('hex')},`);
    expect(t.out()).not.toContain(LINKS[4]!.lineUserId);
  });

  it('runs as `npm run export` (bin/export.ts) in its own process', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      'npx',
      [
        'tsx',
        'bin/export.ts',
        '--endpoint',
        endpoint,
        '--table',
        tables.links,
        '--format',
        'jsonl',
        '--since',
        '2026-04-01',
      ],
      { cwd: join(import.meta.dirname, '../../../..'), env: { ...process.env, NODE_OPTIONS: '' } },
    );
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Link),
    ).toEqual([{ ...LINKS[4], friend: null }]);
    expect(stderr).toMatch(/Exported 1 link \(jsonl\)/);
  }, 30_000);
});
