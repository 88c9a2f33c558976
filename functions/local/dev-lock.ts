import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** What the lock file records about the `npm start` that holds the data folder. */
export interface DevLockOwner {
  pid: number;
  port: number;
  startedAt: string;
}

/** Another live process holds the data folder: the caller must stop before touching anything. */
export class DevLockHeldError extends Error {
  constructor(
    readonly owner: DevLockOwner,
    readonly lockPath: string,
  ) {
    super(
      `Another \`npm start\` (pid ${owner.pid}, port ${owner.port}, since ${owner.startedAt}) is using ` +
        `${lockPath.replace(/[/\\][^/\\]+$/, '')}. Stop it first (Ctrl+C in its terminal, or kill ${owner.pid}).`,
    );
    this.name = 'DevLockHeldError';
  }
}

/** A held lock; {@link release} removes the file if it is still ours. */
export interface DevLock {
  readonly path: string;
  release(): Promise<void>;
}

/** The lock file's name inside the data folder. */
export const DEV_LOCK_FILE = 'dev-server.lock';

/**
 * Takes the data folder of `npm start` for this process. Two dev servers on one folder would
 * start two DynamoDB Local engines on the same files, and the second would overwrite the
 * endpoint file that `npm run import` / `export` read. The file is created with `wx` (atomic:
 * exactly one of two racing starts wins); a lock whose process is gone (a crash, `kill -9`) is
 * stale and is taken over.
 *
 * @param isAlive test seam; default signals the pid with 0 (EPERM still means "exists").
 */
export async function acquireDevLock(
  dataDir: string,
  owner: Omit<DevLockOwner, 'pid' | 'startedAt'> & Partial<DevLockOwner>,
  isAlive: (pid: number) => boolean = processExists,
): Promise<DevLock> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, DEV_LOCK_FILE);
  const record: DevLockOwner = {
    pid: owner.pid ?? process.pid,
    port: owner.port,
    startedAt: owner.startedAt ?? new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify(record)}\n`, 'utf8');
      } finally {
        await handle.close();
      }
      return {
        path,
        release: async () => {
          const current = await readOwner(path);
          if (current?.pid === record.pid) await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const existing = await readOwner(path);
    if (existing && existing.pid !== record.pid && isAlive(existing.pid)) {
      throw new DevLockHeldError(existing, path);
    }
    // Stale (its process is gone) or unreadable (a crash between create and write): take it over.
    await rm(path, { force: true });
  }
  throw new Error(`Could not take the lock ${path}: another start keeps recreating it.`);
}

async function readOwner(path: string): Promise<DevLockOwner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<DevLockOwner>;
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0) return undefined;
    return {
      pid: parsed.pid,
      port: typeof parsed.port === 'number' ? parsed.port : 0,
      startedAt: typeof parsed.startedAt === 'string' ? parsed.startedAt : 'an unknown time',
    };
  } catch {
    return undefined;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
