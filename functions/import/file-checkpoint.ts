import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { ImportCheckpointState } from '../core/use-cases/import-members.js';

/** What a checkpoint belongs to: the same file (path, size, modification time) into the same table. */
export interface CheckpointIdentity {
  source: string;
  size: number;
  mtimeMs: number;
  table: string;
}

interface CheckpointFile {
  version: 1;
  identity: CheckpointIdentity;
  state: ImportCheckpointState;
  savedAt: string;
}

/**
 * The resume point of `npm run import`, in a small JSON file next to the CSV (written to a
 * temporary file and renamed, so a crash never leaves half a checkpoint). It holds no member
 * data: only how many rows are done and the counters. A checkpoint of another file, of a file
 * that changed since, or of another table is ignored.
 */
export class FileCheckpoint {
  constructor(
    readonly path: string,
    private readonly identity: CheckpointIdentity,
  ) {}

  /** The saved state, or why there is none to resume from. */
  async load(): Promise<{ state?: ImportCheckpointState; ignored?: string }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return {};
    }
    try {
      const file = JSON.parse(text) as CheckpointFile;
      const id = file.identity;
      if (file.version !== 1 || !file.state || typeof file.state.doneRows !== 'number')
        return { ignored: 'unreadable checkpoint' };
      if (id.source !== this.identity.source || id.table !== this.identity.table) {
        return { ignored: 'the checkpoint is of another file or table' };
      }
      if (id.size !== this.identity.size || id.mtimeMs !== this.identity.mtimeMs) {
        return { ignored: 'the file changed since the interrupted import' };
      }
      return { state: file.state };
    } catch {
      return { ignored: 'unreadable checkpoint' };
    }
  }

  async save(state: ImportCheckpointState): Promise<void> {
    const file: CheckpointFile = {
      version: 1,
      identity: this.identity,
      state,
      savedAt: new Date().toISOString(),
    };
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, 'utf8');
    await rename(tmp, this.path);
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
