import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dynamoDbLocalTeardown from './global-teardown.mjs';

/**
 * The run's IAM report of the deployed-artifact mode: the grants that no suite used (each suite
 * checked its own calls against the roles and failed on a denied one). Printed, and written
 * beside the suites' records as unused-grants.txt. docs/deploy.md explains each one expected.
 */
export default async function deployedGlobalTeardown() {
  const dir = process.env.DEPLOYED_IAM_DIR;
  if (dir && existsSync(dir)) {
    const records = readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')));
    if (records.length > 0) {
      const key = (g) => `${g.functionLogicalId} ${g.action} ${g.resource}`;
      let unused = new Set(records[0].unused.map(key));
      for (const record of records.slice(1)) {
        const mine = new Set(record.unused.map(key));
        unused = new Set([...unused].filter((grant) => mine.has(grant)));
      }
      const checked = records.reduce((sum, r) => sum + r.checked, 0);
      const lines = [
        `IAM by traffic (deployed-artifact mode): ${records.length} suites, ${checked} AWS calls checked against their functions' roles, none denied.`,
        `Granted but used by no suite (${unused.size}):`,
        ...[...unused].sort().map((grant) => `  ${grant}`),
      ];
      writeFileSync(join(dir, 'unused-grants.txt'), `${lines.join('\n')}\n`);
      process.stdout.write(`\n${lines.join('\n')}\n`);
    }
  }
  await dynamoDbLocalTeardown();
}
