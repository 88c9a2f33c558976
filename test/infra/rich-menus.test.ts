import { rmSync } from 'node:fs';
import {
  ALL_PATTERNS_CONTEXT,
  resourcesOf,
  synthApp,
  type Json,
  type SynthesizedApp,
} from './app-fixture.js';

/**
 * Rich menus by link status in the template: the `rich-menu-stream` function exists only when a
 * menu is named, reads the links table's stream through its own mapping (a second reader beside
 * the link events publisher), gets its menus, and holds only the grants its manifest entry names.
 */
const LINKED = `richmenu-${'1'.repeat(32)}`;
const UNLINKED = `richmenu-${'2'.repeat(32)}`;
const DESCRIPTION = 'line-id-link rich menus by link status';

let on: SynthesizedApp;
let off: SynthesizedApp;
beforeAll(() => {
  on = synthApp({
    bundle: false,
    context: { ...ALL_PATTERNS_CONTEXT, richMenuLinkedId: LINKED, richMenuUnlinkedId: UNLINKED },
  });
  off = synthApp({ bundle: false });
});
afterAll(() => {
  for (const synth of [on, off]) rmSync(synth.outdir, { recursive: true, force: true });
});

const functionsOf = (synth: SynthesizedApp) =>
  Object.entries(resourcesOf(synth.apiTemplate, 'AWS::Lambda::Function')).filter(
    ([, f]) => f.Properties!.Description === DESCRIPTION,
  );

function switcher(): [string, Json] {
  const found = functionsOf(on);
  expect(found).toHaveLength(1);
  return [found[0]![0], found[0]![1].Properties!];
}

function statements(props: Json): Array<{ Action: string | string[]; Resource: unknown }> {
  const roleId = props.Role['Fn::GetAtt'][0];
  return Object.values(resourcesOf(on.apiTemplate, 'AWS::IAM::Policy'))
    .filter((p) => p.Properties!.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap((p) => p.Properties!.PolicyDocument.Statement);
}

test('not deployed when no rich menu is named', () => {
  expect(functionsOf(off)).toEqual([]);
});

test('its own mapping on the links stream: reported failures, bounded retries, a failure queue with an alarm', () => {
  const [id] = switcher();
  const mappings = Object.values(resourcesOf(on.apiTemplate, 'AWS::Lambda::EventSourceMapping')).filter(
    (m) => m.Properties!.FunctionName.Ref === id,
  );
  expect(mappings).toHaveLength(1);
  const mapping = mappings[0]!.Properties!;
  expect(mapping).toMatchObject({
    StartingPosition: 'TRIM_HORIZON',
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    BisectBatchOnFunctionError: true,
    MaximumRetryAttempts: 10,
  });
  expect(JSON.stringify(mapping.EventSourceArn)).toContain('StreamArn');
  // The same stream as the link events publisher's.
  const streams = Object.values(resourcesOf(on.apiTemplate, 'AWS::Lambda::EventSourceMapping')).map((m) =>
    JSON.stringify(m.Properties!.EventSourceArn),
  );
  expect(streams.filter((s) => s === JSON.stringify(mapping.EventSourceArn))).toHaveLength(2);
  const failures = mapping.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0] as string;
  expect(resourcesOf(on.apiTemplate, 'AWS::SQS::Queue')[failures]).toBeDefined();
  const alarms = Object.values(resourcesOf(on.apiTemplate, 'AWS::CloudWatch::Alarm')).filter(
    (a) =>
      a.Properties!.MetricName === 'ApproximateNumberOfMessagesVisible' &&
      JSON.stringify(a.Properties!.Dimensions).includes(`"${failures}"`),
  );
  expect(alarms).toHaveLength(1);
});

test('its settings: the two menus and the Messaging API channel, its secret by ARN', () => {
  const [, props] = switcher();
  const variables = props.Environment.Variables as Record<string, unknown>;
  expect(variables).toMatchObject({
    RICH_MENU_LINKED_ID: LINKED,
    RICH_MENU_UNLINKED_ID: UNLINKED,
    LINE_MESSAGING_CHANNEL_ID: ALL_PATTERNS_CONTEXT.lineMessagingChannelId,
  });
  expect(variables.LINE_MESSAGING_CHANNEL_SECRET_ARN).toBeDefined();
  expect(variables.LINE_CHANNEL_ID).toBeUndefined();
});

test('its grants: UpdateItem on the links table, PutItem on the audit table, its stream, its secret; nothing else of DynamoDB', () => {
  const [, props] = switcher();
  const dynamo = statements(props)
    .flatMap((s) => [s.Action].flat())
    .filter((a) => a.startsWith('dynamodb:'))
    .sort();
  expect(dynamo).toEqual(
    [
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ].sort(),
  );
  const secrets = statements(props).filter((s) =>
    [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
  );
  expect(secrets.length).toBeGreaterThan(0);
});
