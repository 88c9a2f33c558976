import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import iconv from 'iconv-lite';
import { runImportCli } from '../../../functions/import/import-cli.js';
import { createFreshTables, localClient } from '../../../functions/local/dynamodb-local.js';
import { s, TEST_PEPPER } from '../../support/member-data.js';

/**
 * `npm run import` with the files companies really have: Shift_JIS exports with Japanese
 * headers, semicolon-separated files, files that cannot be read; and the guard on
 * --delete-missing. Every refusal leaves the table and the folder as they were.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
let dynamo: DynamoDBClient;
let dir: string;
beforeAll(async () => {
  dynamo = localClient(endpoint);
  dir = await mkdtemp(join(tmpdir(), 'import-files-'));
});
afterAll(async () => {
  dynamo.destroy();
  await rm(dir, { recursive: true, force: true });
});

async function freshTable(): Promise<string> {
  return (await createFreshTables(dynamo, 'files')).members;
}

async function memberIds(table: string): Promise<string[]> {
  const page = await dynamo.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
  return (page.Items ?? []).map((i) => s(i, 'memberId')!).sort();
}

interface CliOptions {
  env?: Record<string, string>;
  endpoint?: boolean;
}

/** The command against DynamoDB Local (`--endpoint`, unless `endpoint: false`), with `env` added. */
async function cli(args: string[], { env = {}, endpoint: atLocal = true }: CliOptions = {}) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (t: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        append(String(chunk));
        done();
      },
    });
  const target = atLocal ? ['--endpoint', endpoint] : [];
  const code = await runImportCli([...args, ...target, '--no-progress'], {
    env: { MEMBER_HASH_PEPPER: TEST_PEPPER, MEMBER_FACTORS: 'birthDate,postalCode', ...env },
    cwd: dir,
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
  });
  return { code, stdout, stderr };
}

const JAPANESE =
  '会員番号,氏名,生年月日,郵便番号\nM-200001,山田太郎,1980-01-02,100-0001\nM-200002,佐藤花子,1975/3/4,150-0002\n';
const MAP = '--columns=memberId=会員番号,birthDate=生年月日,postalCode=郵便番号';
const leftovers = async (name: string) =>
  (await readdir(dir)).filter((f) => f.startsWith(name) && f !== name);

describe('npm run import with real company files', () => {
  test('a Shift_JIS file: refused with a hint without --encoding, imported with it and --columns', async () => {
    const table = await freshTable();
    const file = join(dir, 'sjis.csv');
    await writeFile(file, iconv.encode(JAPANESE, 'cp932'));

    const plain = await cli([file, '--table', table]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('line 1: the file is not UTF-8');
    expect(plain.stderr).toContain('--encoding shift_jis');
    expect(await memberIds(table)).toEqual([]);
    expect(await leftovers('sjis.csv')).toEqual([]); // no checkpoint, no rejects file

    const decoded = await cli([file, '--table', table, '--encoding', 'shift_jis', MAP]);
    expect(decoded.stderr).toBe('');
    expect(decoded.code).toBe(0);
    expect(decoded.stdout).toContain('ignored columns: 氏名 (never stored)');
    expect(await memberIds(table)).toEqual(['M-200001', 'M-200002']);
  });

  test('a bad byte later in the file is reported with its line, and nothing is left behind', async () => {
    const table = await freshTable();
    const file = join(dir, 'late.csv');
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from('memberId,birthDate,postalCode\nM-1,1990-01-01,100-0001\n'),
        iconv.encode('M-2,1990-01-01,東京\n', 'cp932'),
      ]),
    );
    const result = await cli([file, '--table', table]);
    expect([result.code, result.stderr.trim()]).toEqual([
      1,
      expect.stringContaining('line 3: the file is not UTF-8'),
    ]);
    expect(await leftovers('late.csv')).toEqual([]);
  });

  test('--columns naming a header the file lacks lists what it has', async () => {
    const file = join(dir, 'utf8.csv');
    await writeFile(file, JAPANESE);
    const result = await cli([
      file,
      '--table',
      await freshTable(),
      '--columns',
      'memberId=会員No,birthDate=生年月日,postalCode=郵便番号',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'the header has no column 会員No (for memberId); it has 会員番号, 氏名, 生年月日, 郵便番号',
    );
    expect(await leftovers('utf8.csv')).toEqual([]);
  });

  test('a semicolon-separated file: the message says so; --delimiter imports it', async () => {
    const table = await freshTable();
    const file = join(dir, 'semi.csv');
    await writeFile(file, 'memberId;birthDate;postalCode\nM-1;1990-01-01;100-0001\n');
    const wrong = await cli([file, '--table', table]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('found one column; is the file semicolon-separated?');
    expect(await leftovers('semi.csv')).toEqual([]);
    const right = await cli([file, '--table', table, '--delimiter', ';']);
    expect(right.code).toBe(0);
    expect(await memberIds(table)).toEqual(['M-1']);
  });

  test('a malformed variable stops the import naming it, leaving the table and the folder as they were', async () => {
    const table = await freshTable();
    await writeFile(join(dir, 'env.csv'), 'memberId,birthDate,postalCode\nM-1,1980-01-02,100-0001\n');
    // MEMBERS_TABLE and DYNAMODB_ENDPOINT are read only without --table and --endpoint.
    for (const [args, options, problem] of [
      [
        ['env.csv', '--table', table],
        { env: { MEMBER_FACTORS: 'birthDate,shoeSize' } },
        'MEMBER_FACTORS has unknown factor "shoeSize"',
      ],
      [['env.csv'], { env: { MEMBERS_TABLE: 'x' } }, 'MEMBERS_TABLE must be a DynamoDB table name, got "x".'],
      [
        ['env.csv', '--table', table],
        { env: { DYNAMODB_ENDPOINT: 'nope' }, endpoint: false },
        'DYNAMODB_ENDPOINT must be an absolute http(s) URL, got "nope".',
      ],
    ] as const) {
      const { code, stderr } = await cli([...args], options);
      expect(code).toBe(1);
      expect(stderr).toContain(`Import failed: ${problem}`);
    }
    expect(await memberIds(table)).toEqual([]);
    expect(await leftovers('env.csv')).toEqual([]);
  });

  test('says why a file cannot be read', async () => {
    const missing = await cli(['nope.csv', '--table', await freshTable()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `cannot read nope.csv: there is no such file (looked for ${join(dir, 'nope.csv')})`,
    );
    const folder = await cli(['.', '--table', await freshTable()]);
    expect(folder.stderr).toContain('cannot read .: it is a folder, not a file');
  });

  test('--delete-missing needs --yes; --dry-run lists what it would remove and changes nothing', async () => {
    const table = await freshTable();
    const all = join(dir, 'all.csv');
    await writeFile(
      all,
      'memberId,birthDate,postalCode\nM-1,1990-01-01,100-0001\nM-2,1990-01-01,100-0001\nM-3,1990-01-01,100-0001\n',
    );
    expect((await cli([all, '--table', table])).code).toBe(0);
    const some = join(dir, 'some.csv');
    await writeFile(some, 'memberId,birthDate,postalCode\nM-1,1990-01-01,100-0001\n');

    const refused = await cli([some, '--table', table, '--delete-missing']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Refusing --delete-missing without --yes');
    expect(refused.stdout).toBe('');

    const dry = await cli([some, '--table', table, '--delete-missing', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would delete      2 members not in the file:');
    expect(dry.stdout).toMatch(/\n {4}M-[23]\n {4}M-[23]\n/);
    expect(await memberIds(table)).toEqual(['M-1', 'M-2', 'M-3']);
    expect(await leftovers('some.csv')).toEqual([]);

    const done = await cli([some, '--table', table, '--delete-missing', '--yes']);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/deleted {4}2/);
    expect(await memberIds(table)).toEqual(['M-1']);
  });

  test('--dry-run writes nothing at all: no record, no rejects file, an earlier checkpoint kept', async () => {
    const table = await freshTable();
    const file = join(dir, 'dry.csv');
    await writeFile(
      file,
      'memberId,birthDate,postalCode\nM-1,1990-01-01,100-0001\nM-2,not-a-date,100-0001\nM-3,1990-01-01,\n',
    );
    const checkpoint = `${file}.checkpoint.json`;
    await writeFile(checkpoint, '{"an":"earlier run"}');

    const dry = await cli([file, '--table', table, '--dry-run']);
    expect(dry.code).toBe(2);
    expect(dry.stdout).toContain('Dry run finished: nothing was written or deleted.');
    expect(dry.stdout).toContain(
      `rejected          2 (a real run lists them in ${join(dir, 'dry.csv.rejects.csv')})`,
    );
    expect(await memberIds(table)).toEqual([]);
    expect(await leftovers('dry.csv')).toEqual(['dry.csv.checkpoint.json']);
    expect(await readFile(checkpoint, 'utf8')).toBe('{"an":"earlier run"}');

    const real = await cli([file, '--table', table, '--restart']);
    expect(real.code).toBe(2);
    expect((await leftovers('dry.csv')).sort()).toEqual(['dry.csv.rejects.csv']);
  });
});
