import { checkCalls, formatIamReport } from '../../../../functions/local/artifacts/iam-check.js';
import type {
  AssemblyEnvironment,
  DeployedFunction,
  RecordedCall,
} from '../../../../functions/local/artifacts/types.js';

const env: AssemblyEnvironment = { account: '123456789012', region: 'ap-northeast-1', partition: 'aws' };
const arn = (service: string, rest: string) => `arn:aws:${service}:${env.region}:${env.account}:${rest}`;
const links = arn('dynamodb', 'table/links');
const audit = arn('dynamodb', 'table/audit');
const secret = arn('secretsmanager', 'secret:LineChannelSecret-AbCdEf');
const logGroup = arn('logs', 'log-group:/aws/lambda/links-post');

/** A function wired as ServiceFunction wires one: the log and X-Ray statements, then its own. */
function fn(logicalId: string, statements: object[]): DeployedFunction {
  return {
    stack: 'LineIdLink-Api',
    logicalId,
    path: `LineIdLink-Api/${logicalId}/Function`,
    name: logicalId,
    arn: arn('lambda', `function:${logicalId}`),
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    timeoutSeconds: 10,
    memorySize: 512,
    architecture: 'arm64',
    environment: {},
    assetDir: '/nowhere',
    roleLogicalId: `${logicalId}Role`,
    policies: [
      {
        name: `${logicalId}RoleDefaultPolicy`,
        document: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logGroup },
            { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
            ...statements,
          ],
        },
      },
    ],
  };
}

const linksPost = fn('LinksPost', [
  // As ServiceTable.resourceArns() grants: the table and its indexes.
  {
    Sid: 'Links',
    Effect: 'Allow',
    Action: ['dynamodb:GetItem', 'dynamodb:Query'],
    Resource: [links, `${links}/index/byMember`],
  },
  { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: audit },
  { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secret },
]);
const call = (action: string, resource: string, functionLogicalId = 'LinksPost'): RecordedCall => ({
  functionLogicalId,
  action,
  resource,
});

describe('checkCalls', () => {
  it('allows a call the role grants, and counts each recorded call', async () => {
    const report = await checkCalls(
      [
        call('dynamodb:GetItem', links),
        call('dynamodb:GetItem', links),
        call('secretsmanager:GetSecretValue', secret),
      ],
      [linksPost],
      env,
    );
    expect(report.denied).toEqual([]);
    expect(report.checked).toBe(3);
  });

  it('denies an action not granted, a table not granted and an index not granted', async () => {
    const only = fn('MeGet', [
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: links },
    ]);
    const report = await checkCalls(
      [
        call('dynamodb:GetItem', links, 'MeGet'),
        call('dynamodb:DeleteItem', links, 'MeGet'),
        call('dynamodb:GetItem', audit, 'MeGet'),
        call('dynamodb:Query', `${links}/index/byMember`, 'MeGet'),
      ],
      [only],
      env,
    );
    expect(report.denied).toEqual([
      {
        functionLogicalId: 'MeGet',
        action: 'dynamodb:DeleteItem',
        resource: links,
        result: 'ImplicitlyDenied',
      },
      { functionLogicalId: 'MeGet', action: 'dynamodb:GetItem', resource: audit, result: 'ImplicitlyDenied' },
      {
        functionLogicalId: 'MeGet',
        action: 'dynamodb:Query',
        resource: `${links}/index/byMember`,
        result: 'ImplicitlyDenied',
      },
    ]);
  });

  it('honours an explicit Deny and wildcard actions', async () => {
    const wildcard = fn('Reader', [
      { Effect: 'Allow', Action: 'dynamodb:Get*', Resource: arn('dynamodb', 'table/*') },
      { Effect: 'Deny', Action: 'dynamodb:*', Resource: audit },
    ]);
    const report = await checkCalls(
      [call('dynamodb:GetItem', links, 'Reader'), call('dynamodb:GetItem', audit, 'Reader')],
      [wildcard],
      env,
    );
    expect(report.denied).toEqual([
      {
        functionLogicalId: 'Reader',
        action: 'dynamodb:GetItem',
        resource: audit,
        result: 'ExplicitlyDenied',
      },
    ]);
    expect(report.unused).toEqual([]);
  });

  it('refuses calls of a function the assembly does not have', async () => {
    const report = await checkCalls([call('dynamodb:GetItem', links, 'Ghost')], [linksPost], env);
    expect(report.denied).toEqual([
      {
        functionLogicalId: 'Ghost',
        action: 'dynamodb:GetItem',
        resource: links,
        result: 'no such function in the assembly',
      },
    ]);
  });

  it('reports grants no call used, not the index half of item actions, not the platform’s', async () => {
    const report = await checkCalls([call('dynamodb:GetItem', links)], [linksPost], env);
    expect(report.unused).toEqual([
      { functionLogicalId: 'LinksPost', action: 'dynamodb:Query', resource: links },
      { functionLogicalId: 'LinksPost', action: 'dynamodb:Query', resource: `${links}/index/byMember` },
      { functionLogicalId: 'LinksPost', action: 'dynamodb:PutItem', resource: audit },
      { functionLogicalId: 'LinksPost', action: 'secretsmanager:GetSecretValue', resource: secret },
    ]);
    expect(report.platform.map((p) => p.action)).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
    ]);
  });

  it('counts a call through an index as using the index grant', async () => {
    const report = await checkCalls(
      [
        call('dynamodb:GetItem', links),
        call('dynamodb:Query', links),
        call('dynamodb:Query', `${links}/index/byMember`),
        call('dynamodb:PutItem', audit),
        call('secretsmanager:GetSecretValue', secret),
      ],
      [linksPost],
      env,
    );
    expect(report.unused).toEqual([]);
    expect(report.denied).toEqual([]);
  });
});

describe('formatIamReport', () => {
  it('lists denials and unused grants as tables', async () => {
    const report = await checkCalls([call('dynamodb:DeleteItem', links)], [linksPost], env);
    const text = formatIamReport(report);
    expect(text).toContain('IAM check: 1 recorded call(s); 1 denied, 5 grant(s) unused, 4 platform grant(s)');
    expect(text).toMatch(
      /Denied[^\n]*\n\s+function\s+action\s+resource\s+result\n\s+LinksPost\s+dynamodb:DeleteItem\s+\S+table\/links\s+ImplicitlyDenied/,
    );
    expect(text).toMatch(
      /Granted but never used[^\n]*\n\s+function\s+action\s+resource\n\s+LinksPost\s+dynamodb:GetItem\s+\S+table\/links\n/,
    );
  });
});
