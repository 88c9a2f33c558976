import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFreshTables, localClient } from '../../../functions/local/dynamodb-local.js';
import { TEST_PEPPER } from '../../support/member-data.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const endpoint = process.env.DYNAMODB_ENDPOINT!;
let dir: string;
let table: string;
let csv: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'import-interrupt-'));
  const dynamo = localClient(endpoint);
  const names = await createFreshTables(dynamo, 'int');
  dynamo.destroy();
  table = names.members;
  // More rows than ten short runs get through.
  const rows = Array.from(
    { length: 60_000 },
    (_, i) => `M-${String(i).padStart(7, '0')},1990-04-12,100-0001,090-1234-5678`,
  );
  csv = join(dir, 'members.csv');
  await writeFile(csv, `memberId,birthDate,postalCode,phone\n${rows.join('\n')}\n`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * `npm run import -- members.csv` as an operator starts it in a terminal (its own process group:
 * npm, the shell and node), then Ctrl+C: SIGINT to every process of the group at once.
 */
async function interruptedRun(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    'npm',
    ['run', '--silent', 'import', '--', csv, '--no-progress', '--concurrency', '4'],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        DYNAMODB_ENDPOINT: endpoint,
        MEMBERS_TABLE: table,
        MEMBER_HASH_PEPPER: TEST_PEPPER,
        MEMBER_FACTORS: 'birthDate,postalCode',
      },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Interrupt once rows are being written (the first committed batch leaves a checkpoint; an
  // interrupt before any row is done has nothing to resume and rightly saves none), at a
  // different moment in each trial. On a loaded machine the first batch can take seconds.
  for (
    let waited = 0;
    !(stdout.includes('Importing') && existsSync(`${csv}.checkpoint.json`)) && waited < 30_000;
    waited += 20
  ) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
  process.kill(-child.pid!, 'SIGINT');
  const code = await exited;
  // The output pipes may still hold the last lines after the exit event.
  await new Promise((r) => setTimeout(r, 50));
  return { code, stdout, stderr };
}

async function savedRows(): Promise<number> {
  const file = JSON.parse(await readFile(`${csv}.checkpoint.json`, 'utf8')) as {
    state: { doneRows: number };
  };
  return file.state.doneRows;
}

test('Ctrl+C to the process group of `npm run import` saves the resume point every time (10 trials)', async () => {
  let previous: number | undefined;
  for (let trial = 1; trial <= 10; trial++) {
    const run = await interruptedRun();
    const context = `trial ${trial}:\n${run.stdout}\n${run.stderr}`;
    expect({ context, interrupted: /Interrupted after \d+ rows/.test(run.stderr) }).toEqual({
      context,
      interrupted: true,
    });
    if (previous !== undefined) expect(run.stderr).toContain(`Resuming after row ${previous}`);
    const done = await savedRows();
    expect(done).toBeGreaterThanOrEqual(previous ?? 0);
    previous = done;
  }
}, 90_000);
