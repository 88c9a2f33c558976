/**
 * One row of `npm run bench`: the project and a bare baseline doing the same work, measured side
 * by side in the same run; only their ratio is meaningful on a shared machine.
 */
export interface BenchRow {
  /** What was measured, e.g. "ID token verify (ops/s)". */
  name: string;
  project: string;
  baseline: string;
  /** project / baseline, oriented so that the target reads naturally (see `target`). */
  ratio: number;
  /** The target as text, e.g. "≥ 0.4" or "≤ 1.5". */
  target: string;
  pass: boolean;
}

/** A group of rows; each issue contributes one suite file under bench/. */
export interface BenchSuite {
  name: string;
  run(options: { large: boolean }): Promise<BenchRow[]>;
}
