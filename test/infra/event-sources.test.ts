import { rmSync } from 'node:fs';
import { resourcesOf, synthApp, type Json, type SynthesizedApp } from './app-fixture.js';

/**
 * The two event source mappings of the API stack, as a production deployment needs them: the
 * links stream (lib/constructs/link-events.ts) and the message job queue
 * (lib/constructs/message-jobs.ts). Each failure is reported per record, retried a bounded number
 * of times, and what fails for good waits in a queue that raises an alarm.
 */
let synth: SynthesizedApp;
beforeAll(() => {
  synth = synthApp({ bundle: false });
});
afterAll(() => rmSync(synth.outdir, { recursive: true, force: true }));

function functionId(description: string): string {
  const found = Object.entries(resourcesOf(synth.apiTemplate, 'AWS::Lambda::Function')).filter(
    ([, f]) => f.Properties!.Description === description,
  );
  expect(found).toHaveLength(1);
  return found[0]![0];
}

function mappingOf(description: string): Json {
  const id = functionId(description);
  const found = Object.values(resourcesOf(synth.apiTemplate, 'AWS::Lambda::EventSourceMapping')).filter(
    (m) => m.Properties!.FunctionName.Ref === id,
  );
  expect(found).toHaveLength(1);
  return found[0]!.Properties!;
}

/** The logical ID of the queue a `Fn::GetAtt [id, Arn]` names. */
const queueOf = (arn: Json): string => {
  expect(arn['Fn::GetAtt']?.[1]).toBe('Arn');
  const id = arn['Fn::GetAtt'][0] as string;
  expect(resourcesOf(synth.apiTemplate, 'AWS::SQS::Queue')[id]).toBeDefined();
  return id;
};

/** The alarm on a queue's visible messages, if any. */
const dlqAlarmOf = (queueId: string) =>
  Object.values(resourcesOf(synth.apiTemplate, 'AWS::CloudWatch::Alarm')).filter(
    (a) =>
      a.Properties!.MetricName === 'ApproximateNumberOfMessagesVisible' &&
      JSON.stringify(a.Properties!.Dimensions).includes(`"${queueId}"`),
  );

describe('the links stream → link events publisher', () => {
  it('retries from the reported record in order, bisects a failing invocation, and gives up after 10 retries', () => {
    const mapping = mappingOf('line-id-link link events publisher');
    expect(mapping).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
    });
    // One batch per shard at a time, so events leave in the order of their changes.
    expect(mapping.ParallelizationFactor ?? 1).toBe(1);
    expect(JSON.stringify(mapping.EventSourceArn)).toContain('StreamArn');
  });

  it('describes a batch that failed for good in an encrypted queue that raises an alarm', () => {
    const mapping = mappingOf('line-id-link link events publisher');
    const failures = queueOf(mapping.DestinationConfig.OnFailure.Destination);
    expect(resourcesOf(synth.apiTemplate, 'AWS::SQS::Queue')[failures]!.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    expect(dlqAlarmOf(failures)).toHaveLength(1);
    expect(dlqAlarmOf(failures)[0]!.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});

describe('the message job queue → worker', () => {
  it('reports failed batches by message, one batch per invocation, at most two at a time (LINE rate limits)', () => {
    expect(mappingOf('line-id-link message job worker')).toMatchObject({
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('hides a batch for six worker timeouts, moves it to an alarmed dead-letter queue after 5 receives', () => {
    const mapping = mappingOf('line-id-link message job worker');
    const queue = resourcesOf(synth.apiTemplate, 'AWS::SQS::Queue')[queueOf(mapping.EventSourceArn)]!;
    const worker = resourcesOf(synth.apiTemplate, 'AWS::Lambda::Function')[
      functionId('line-id-link message job worker')
    ]!;
    expect(queue.Properties!.VisibilityTimeout).toBe(6 * worker.Properties!.Timeout);
    expect(queue.Properties!.RedrivePolicy.maxReceiveCount).toBe(5);
    const deadLetters = queueOf(queue.Properties!.RedrivePolicy.deadLetterTargetArn);
    expect(dlqAlarmOf(deadLetters)).toHaveLength(1);
  });
});

describe('the audience job queue → worker', () => {
  const WORKER = 'line-id-link audience job worker';
  const functionProps = (description: string) =>
    resourcesOf(synth.apiTemplate, 'AWS::Lambda::Function')[functionId(description)]!.Properties!;
  const statementsOf = (props: Json) => {
    const roleId = props.Role['Fn::GetAtt'][0];
    return Object.values(resourcesOf(synth.apiTemplate, 'AWS::IAM::Policy'))
      .filter((p) => p.Properties!.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap(
        (p) => p.Properties!.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: Json }>,
      );
  };
  const actions = (props: Json, prefix: string) => [
    ...new Set(
      statementsOf(props)
        .flatMap((s) => [s.Action].flat())
        .filter((a) => a.startsWith(prefix))
        .sort(),
    ),
  ];

  it('runs one job per invocation, reports failures by message, at most two at a time (LINE: one upload per audience)', () => {
    expect(mappingOf(WORKER)).toMatchObject({
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('hides a job for six worker timeouts, moves it to an alarmed dead-letter queue after 5 receives', () => {
    const mapping = mappingOf(WORKER);
    const queue = resourcesOf(synth.apiTemplate, 'AWS::SQS::Queue')[queueOf(mapping.EventSourceArn)]!;
    expect(queue.Properties!.VisibilityTimeout).toBe(6 * functionProps(WORKER).Timeout);
    expect(queue.Properties!.RedrivePolicy.maxReceiveCount).toBe(5);
    expect(dlqAlarmOf(queueOf(queue.Properties!.RedrivePolicy.deadLetterTargetArn))).toHaveLength(1);
  });

  it('gives the route and the worker the queue URL and SendMessage on it; the worker its tables, secret and nothing more', () => {
    const queueId = queueOf(mappingOf(WORKER).EventSourceArn);
    const route = functionProps('line-id-link POST /admin/audiences');
    const worker = functionProps(WORKER);
    for (const fn of [route, worker]) {
      expect(fn.Environment.Variables.AUDIENCE_QUEUE_URL).toEqual({ Ref: queueId });
      const sqs = statementsOf(fn).filter((s) => [s.Action].flat().some((a) => a.startsWith('sqs:Send')));
      expect(sqs).toEqual([
        expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } }),
      ]);
    }
    expect(actions(worker, 'dynamodb:')).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(worker.Environment.Variables.LINE_MESSAGING_CHANNEL_SECRET_ARN).toBeDefined();
    expect(actions(route, 'dynamodb:')).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(functionProps('line-id-link GET /admin/audiences/jobs/{jobId}')).toBeDefined();
  });
});
