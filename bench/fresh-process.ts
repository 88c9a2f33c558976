import { spawn } from 'node:child_process';

/**
 * Runs an ES module script in a new `node` process with source maps enabled (as the functions
 * run: `NODE_OPTIONS=--enable-source-maps`) and exactly `env` as its environment, and resolves
 * with what it wrote to stdout. A non-zero exit rejects with the first lines of its stderr,
 * naming `what` failed, so a bench row that cannot be measured says why.
 */
export function inFreshProcess(script: string, env: Record<string, string>, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(out);
      const excerpt = err.trim().split('\n').slice(0, 5).join(' | ');
      reject(new Error(`${what} failed (exit ${code}): ${out} ${excerpt}`));
    });
  });
}
