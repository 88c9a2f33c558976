import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireDevLock, DEV_LOCK_FILE, DevLockHeldError } from '../../../functions/local/dev-lock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dev-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const alive = () => true;
const dead = () => false;

describe('acquireDevLock', () => {
  test('writes the pid and port, and release removes the file', async () => {
    const lock = await acquireDevLock(dir, { port: 3000, pid: 4242 }, alive);
    expect(JSON.parse(readFileSync(join(dir, DEV_LOCK_FILE), 'utf8'))).toMatchObject({
      pid: 4242,
      port: 3000,
    });
    await lock.release();
    expect(existsSync(join(dir, DEV_LOCK_FILE))).toBe(false);
  });

  test('a second start while the first one lives is refused, naming the owner', async () => {
    await acquireDevLock(dir, { port: 3000, pid: 4242 }, alive);
    const second = acquireDevLock(dir, { port: 3100, pid: 5353 }, alive);
    await expect(second).rejects.toBeInstanceOf(DevLockHeldError);
    await expect(acquireDevLock(dir, { port: 3100, pid: 5353 }, alive)).rejects.toThrow(
      /Another `npm start` \(pid 4242, port 3000, since .*\) is using/,
    );
    // The first owner's lock is untouched.
    expect(JSON.parse(readFileSync(join(dir, DEV_LOCK_FILE), 'utf8')).pid).toBe(4242);
  });

  test('a stale lock (its process is gone) is taken over', async () => {
    await acquireDevLock(dir, { port: 3000, pid: 4242 }, alive);
    const lock = await acquireDevLock(dir, { port: 3100, pid: 5353 }, dead);
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({ pid: 5353, port: 3100 });
  });

  test('an unreadable lock (a crash between create and write) is taken over', async () => {
    writeFileSync(join(dir, DEV_LOCK_FILE), '');
    const lock = await acquireDevLock(dir, { port: 3100, pid: 5353 }, alive);
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(5353);
  });

  test('release leaves a lock that another process took over', async () => {
    const first = await acquireDevLock(dir, { port: 3000, pid: 4242 }, alive);
    await acquireDevLock(dir, { port: 3100, pid: 5353 }, dead);
    await first.release();
    expect(JSON.parse(readFileSync(join(dir, DEV_LOCK_FILE), 'utf8')).pid).toBe(5353);
  });

  test('the real liveness check: this process is alive, a finished child is not', async () => {
    const child = spawnSync(process.execPath, ['-e', 'process.exit(0)']);
    writeFileSync(join(dir, DEV_LOCK_FILE), JSON.stringify({ pid: child.pid, port: 1, startedAt: 'x' }));
    const lock = await acquireDevLock(dir, { port: 3000 });
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    await expect(acquireDevLock(dir, { port: 3000, pid: process.pid + 1 })).rejects.toBeInstanceOf(
      DevLockHeldError,
    );
  });
});

describe('npm start while another one runs', () => {
  test('stops before touching anything: no DynamoDB Local, no endpoint file, exit 1', () => {
    const repo = fileURLToPath(new URL('../../../', import.meta.url));
    mkdirSync(join(dir, '.data'));
    // This test process plays the running dev server.
    const owner = { pid: process.pid, port: 3000, startedAt: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(dir, '.data', DEV_LOCK_FILE), JSON.stringify(owner));
    const result = spawnSync(
      process.execPath,
      [join(repo, 'node_modules/tsx/dist/cli.mjs'), join(repo, 'bin/dev-server.ts')],
      { cwd: dir, env: { ...process.env, PORT: '0' }, encoding: 'utf8', timeout: 25_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Another \`npm start\` (pid ${process.pid}, port 3000`);
    expect(readdirSync(join(dir, '.data'))).toEqual([DEV_LOCK_FILE]);
    expect(JSON.parse(readFileSync(join(dir, '.data', DEV_LOCK_FILE), 'utf8'))).toEqual(owner);
  }, 30_000);
});
