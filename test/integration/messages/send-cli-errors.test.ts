import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run send` as a user meets it, in its own process (bin/send.ts as `npm run send` runs it):
 * every mistake is one line on stderr with an exit code, never a stack trace.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'send-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const message = join(dir, 'message.json');
writeFileSync(message, JSON.stringify({ type: 'text', text: 'hello' }));

/** `npm run send -- …args` from the project folder, with only PATH and HOME of this environment. */
function send(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bin/send.ts', ...args, '--no-progress'],
      { cwd: root, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const csv = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('npm run send: one-line errors with exit codes', () => {
  test('a --to file that does not exist: exit 2, the file named', async () => {
    const missing = join(dir, 'nope.csv');
    const run = await send(['--to', missing, '--message', message]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`--to: cannot read ${missing}: there is no such file (looked for ${missing})\n`);
  }, 30_000);

  test('an empty file: exit 2, what it needs', async () => {
    const run = await send(['--to', csv('empty.csv', ''), '--message', message]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^--to: \S+empty\.csv is empty; it needs a header such as companyUserId/);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  }, 30_000);

  test('a header that is not member numbers: exit 2, name the column with --column', async () => {
    const people = csv('people.csv', 'name,email\nHanako,hanako@example.com\n');
    const run = await send(['--to', people, '--message', message]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `--to: which column of ${people} holds the member numbers? Its header is name, email: name the column with --column <name> (or head it companyUserId).\n`,
    );
    const wrong = await send(['--to', people, '--message', message, '--column', 'memberNo']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe(`--column: ${people} has no column "memberNo" (its header: name, email).\n`);
  }, 30_000);

  test('the dev server not running, sending directly: exit 1, is npm start running?', async () => {
    const port = await closedPort();
    const to = csv('members.csv', 'memberNo,name\nM-1,Hanako\n');
    const run = await send([
      '--to',
      to,
      '--column',
      'memberNo',
      '--message',
      message,
      '--dry-run',
      '--endpoint',
      `http://127.0.0.1:${port}`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `Nothing answers at the DynamoDB endpoint http://127.0.0.1:${port} (from --endpoint): is npm start running?\n`,
    );
  }, 30_000);

  test('the dev server not running, through --api: exit 1 at once, is npm start running?', async () => {
    const port = await closedPort();
    const started = Date.now();
    const run = await send(
      [
        '--to',
        csv('api.csv', 'companyUserId\nM-1\n'),
        '--message',
        message,
        '--api',
        `http://127.0.0.1:${port}`,
      ],
      { AWS_ACCESS_KEY_ID: 'AKIALOCAL', AWS_SECRET_ACCESS_KEY: 'secret' },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `\\nNothing answers at http://127\\.0\\.0\\.1:${port} \\(connection refused\\): is npm start running\\? \\(or is --api right\\?\\)\\n$`,
      ),
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(existsSync(join(root, 'send-results.csv'))).toBe(false);
  }, 30_000);
});
