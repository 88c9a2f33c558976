import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assemblyGlobalTeardown from './assembly-global-teardown.mjs';
import dynamoDbLocalTeardown from './global-teardown.mjs';

/**
 * The run's IAM report of the deployed-artifact mode: the grants that no suite used (each suite
 * checked its own calls against the roles and failed on a denied one), each matched against the
 * table of docs/deploy.md that explains the expected ones. Printed, and written beside the
 * suites' records as unused-grants.txt. A denied call or a grant the docs do not explain fails
 * the run (the issue's target: no unused grant that the docs do not explain).
 */
export default async function deployedGlobalTeardown() {
  const dir = process.env.DEPLOYED_IAM_DIR;
  let failure;
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
      const explained = explainedGrants();
      const why = (grant) => {
        const [fn, action, resource] = grant.split(' ');
        return explained.find(
          (row) =>
            fn.replace(/Function[0-9A-F]{8}$/, '') === row.fn &&
            action === row.action &&
            resource.includes(row.resource),
        )?.why;
      };
      const unexplained = [...unused].filter((grant) => !why(grant)).sort();
      const denied = records.flatMap((r) =>
        r.denied.map((d) => `${d.functionLogicalId} ${d.action} ${d.resource}`),
      );
      const lines = [
        `IAM by traffic (deployed-artifact mode): ${records.length} suites, ${checked} AWS calls checked against their functions' roles, ${denied.length} denied.`,
        ...denied.map((d) => `  DENIED ${d}`),
        `Granted but used by no suite: ${unused.size}, ${unused.size - unexplained.length} explained in docs/deploy.md.`,
        ...[...unused]
          .filter(why)
          .sort()
          .map((grant) => `  ${grant}: ${why(grant)}`),
        ...(unexplained.length
          ? [
              `NOT explained in docs/deploy.md (remove the grant or explain it there):`,
              ...unexplained.map((g) => `  ${g}`),
            ]
          : []),
      ];
      writeFileSync(join(dir, 'unused-grants.txt'), `${lines.join('\n')}\n`);
      process.stdout.write(`\n${lines.join('\n')}\n`);
      // Unused grants are judged only when every suite of the project ran (jest.config.js says how many).
      const whole = records.length === Number(process.env.LINE_ID_LINK_DEPLOYED_SUITES);
      if (!whole)
        process.stdout.write('(Not every deployed suite ran: unused grants are listed, not judged.)\n');
      if (denied.length || (whole && unexplained.length))
        failure = new Error('IAM by traffic: a denied call or an unexplained unused grant (see above).');
    }
    rmSync(dirname(dir), { recursive: true, force: true });
  }
  await assemblyGlobalTeardown();
  await dynamoDbLocalTeardown();
  if (failure) throw failure;
}

/** The rows of docs/deploy.md's table of grants the run does not use. */
function explainedGrants() {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/deploy.md', import.meta.url)), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- iam-unused-grants'));
  return table
    .split('\n')
    .slice(3)
    .filter((line) => line.startsWith('| '))
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .map(([, fn, action, resource, why]) => ({ fn, action, resource, why }));
}
