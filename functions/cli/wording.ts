/** `1 link`, `2 links`, `0 links`: English plural of a count (irregular plurals passed in). */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/**
 * `(120 rows/s)` for a rate worth showing; empty when nothing was processed or too little time
 * passed to mean anything (a rate of 0 after a resume, or of a delete-only phase, reads as a stall).
 */
export function rateSuffix(count: number, seconds: number, unit = 'rows'): string {
  if (count <= 0 || seconds < 0.05) return '';
  return ` (${Math.round(count / seconds)} ${unit}/s)`;
}
