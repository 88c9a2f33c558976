import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, taggedTableNames } from '../../../functions/local/dynamodb-local.js';
import { TABLES, type TableKey } from '../../../functions/manifest/table-definitions.js';

/**
 * `npm start` as a user runs it (bin/dev-server.ts in a child process, on the run's DynamoDB
 * Local with tables of its own): the console shows the banner and then exactly one line per
 * request; the functions' structured logs go to the file the banner names, one JSON entry a line.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const REQUEST_LINE = /^(GET|POST) \/\S* \d{3} \d+ ms$/;

let cwd: string;
let child: ChildProcess | undefined;
let stdout = '';
let stderr = '';
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'line-id-link-npm-start-'));
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await rm(cwd, { recursive: true, force: true });
});

/** Starts `npm start`'s command with `args`; resolves once its banner is out. */
async function start(args: string[]): Promise<string> {
  const port = await freePort();
  const tables = taggedTableNames(randomBytes(4).toString('hex'));
  stdout = '';
  stderr = '';
  child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'bin/dev-server.ts'), ...args], {
    cwd,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: String(port),
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((k) => [TABLES[k].envVar, tables[k]])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!stdout.includes('Press Ctrl+C to stop.')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`npm start did not start:\n${stdout}\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  return `http://127.0.0.1:${port}`;
}

/** Sends the requests: a health check, a refusal, an unsigned admin call, a forged webhook. */
async function requests(api: string): Promise<number> {
  const sent = [
    fetch(`${api}/health`),
    fetch(`${api}/links/me`),
    fetch(`${api}/admin/links/line/U${'a'.repeat(32)}`),
    fetch(`${api}/webhook/line`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-line-signature': 'Zm9yZ2Vk' },
      body: '{"destination":"U0","events":[]}',
    }),
    fetch(`${api}/links/me?code=secret`),
  ];
  for (const answer of await Promise.all(sent)) await answer.arrayBuffer();
  return sent.length;
}

async function stop(): Promise<void> {
  const exited = new Promise((resolve) => child!.once('exit', resolve));
  child!.kill('SIGTERM');
  await exited;
}

/** What the console shows after the banner's last line. */
function afterBanner(output: string): string[] {
  const lines = output.split('\n');
  const last = lines.findIndex((line) => line.startsWith('Function logs (JSON, one entry a line):'));
  expect(last).toBeGreaterThan(0);
  return lines.slice(last + 1).filter((line) => line !== '' && line !== 'Stopping…');
}

it('prints one line per request and keeps the JSON logs in the file the banner names', async () => {
  const api = await start([]);
  const file = /Function logs \(JSON, one entry a line\): (\S+) \(npm start -- --verbose/.exec(stdout)?.[1];
  expect(file).toMatch(/^\.data\/logs\/\d{4}-\d{2}-\d{2}\.jsonl$/);
  const count = await requests(api);
  await stop();

  const shown = afterBanner(stdout);
  expect(shown).toHaveLength(count);
  for (const line of shown) expect(line).toMatch(REQUEST_LINE);
  expect(shown).toContain(shown.find((l) => l.startsWith('GET /links/me 401 ')));
  expect(stderr).toBe('');

  const logged = (await readFile(join(cwd, file!), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(logged).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ code: 'missing-line-token', function_name: 'links-me-get' }),
      expect.objectContaining({ code: 'invalid-webhook-signature', function_name: 'webhook-line-post' }),
      expect.objectContaining({ message: 'request refused by IAM authorization', source: 'api-gateway' }),
    ]),
  );
}, 90_000);

it('prints the JSON logs too with --verbose', async () => {
  const api = await start(['--verbose']);
  expect(stdout).toContain(', and printed here (--verbose).');
  const count = await requests(api);
  await stop();

  const shown = afterBanner(stdout);
  expect(shown.filter((line) => REQUEST_LINE.test(line))).toHaveLength(count);
  const json = shown.filter((line) => line.startsWith('{'));
  expect(json.length).toBeGreaterThanOrEqual(4);
  expect(shown).toHaveLength(count + json.length);
  for (const line of json) expect(() => JSON.parse(line) as unknown).not.toThrow();
  expect(await readdir(join(cwd, '.data/logs'))).toHaveLength(1);
}, 90_000);
