/** Percentile of a sample (nearest rank), in the sample's unit. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Milliseconds with two decimals. */
export const ms = (value: number) => `${value.toFixed(2)} ms`;

/**
 * Runs two measurements alternately, `rounds` times each, so that machine noise (other
 * processes, CPU frequency) hits both sides alike; returns both samples.
 */
export async function interleave(
  rounds: number,
  project: () => Promise<number>,
  baseline: () => Promise<number>,
): Promise<{ project: number[]; baseline: number[] }> {
  const result = { project: [] as number[], baseline: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      result.project.push(await project());
      result.baseline.push(await baseline());
    } else {
      result.baseline.push(await baseline());
      result.project.push(await project());
    }
  }
  return result;
}

/**
 * Runs several measurements round-robin, `rounds` times each, starting each round one step
 * further along (A B C, B C A, C A B, …), so that noise and any order effect hit all of them
 * alike; returns each one's samples under its name.
 */
export async function rotate<K extends string>(
  rounds: number,
  measures: Record<K, () => Promise<number>>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(measures) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]!;
      samples[name].push(await measures[name]());
    }
  }
  return samples;
}

/**
 * A rows-per-second row: the project's and the baseline's rate, and their ratio (by default the
 * plain quotient; suites that pair their runs pass the median paired ratio); target ≥ `min`.
 */
export function throughputRow(
  name: string,
  project: number,
  baseline: number,
  ratio = project / baseline,
  min = 0.8,
) {
  return {
    name,
    project: `${Math.round(project)}/s`,
    baseline: `${Math.round(baseline)}/s`,
    ratio,
    target: `≥ ${min}`,
    pass: ratio >= min,
  };
}

/** A peak-memory row: the project's peak RSS against a fixed budget (the baseline's shown for scale). */
export function peakRssRow(name: string, projectMb: number, budgetMb: number, baselineLabel: string) {
  return {
    name,
    project: `${projectMb.toFixed(0)} MB`,
    baseline: `${budgetMb} MB (${baselineLabel})`,
    ratio: projectMb / budgetMb,
    target: '≤ 1.0',
    pass: projectMb <= budgetMb,
  };
}
