import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IamGrant, IamReport } from '../../functions/local/artifacts/iam-check.js';

/**
 * One suite's IAM findings in the deployed-artifact mode, kept for the run's report
 * (deployed-global-teardown.mjs): the grants it never used, with the suite's own name tag taken
 * out of the resource ARNs, so that a grant unused by every suite shows as unused by the run.
 */
export interface SuiteIamRecord {
  checked: number;
  denied: IamReport['denied'];
  unused: IamGrant[];
}

/** Writes the suite's findings where the run's teardown reads them (DEPLOYED_IAM_DIR). */
export function recordIamReport(report: IamReport, suffix: string): void {
  const dir = process.env.DEPLOYED_IAM_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const untag = <T extends IamGrant>(grant: T): T => ({
    ...grant,
    resource: grant.resource.split(`-${suffix}`).join(''),
  });
  const record: SuiteIamRecord = {
    checked: report.checked,
    denied: report.denied.map(untag),
    unused: report.unused.map(untag),
  };
  writeFileSync(join(dir, `${suffix}.json`), JSON.stringify(record));
}
