import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { stackOutput } from './stack-output.js';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { CloudWatchLogGroup } from 'aws-cdk-lib/aws-events-targets';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LINKS_STREAM } from '../../functions/manifest/functions.js';
import type { FunctionWiring } from '../function-wiring.js';
import type { ServiceFunction } from './service-function.js';
import type { ServiceTable } from './service-table.js';

export interface LinkEventsProps {
  /** Creates the publisher from its manifest entry (functions/manifest/functions.ts LINKS_STREAM). */
  readonly functions: FunctionWiring;
  /** The table of the publisher's trigger; must have a NEW_AND_OLD_IMAGES stream. */
  readonly linksTable: ServiceTable;
  readonly logRetention: RetentionDays;
  readonly busName: string;
}

/**
 * Link events for the company's systems: the links table's stream → a function → an EventBridge
 * bus (`source` `line-id-link`, detail-types `Link Created`, `Link Removed`, `Link Reachability
 * Changed`). A record the function reports failed is retried, with every record after it, in
 * order (a batch whose invocation fails is bisected); after 10 retries the batch's positions go to
 * a dead-letter queue. An example rule copies every link event to a log
 * group (docs/link-events.md shows how to route them to the company's own targets).
 */
export class LinkEvents extends Construct {
  readonly bus: EventBus;
  readonly function: ServiceFunction;
  /**
   * The stream mapping's on-failure destination: Lambda describes there each batch that still
   * failed after its retries (shard and sequence numbers, to read it again from the stream within
   * its 24 hours), and the operations alarm watches it.
   */
  readonly failureQueue: Queue;

  constructor(scope: Construct, id: string, props: LinkEventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { eventBusName: props.busName });
    props.functions.provide({ kind: 'event-bus', key: 'link-events', bus: this.bus });
    this.function = props.functions.create(this, 'Publisher', LINKS_STREAM);
    this.failureQueue = new Queue(this, 'StreamFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the failure destination of the stream consumer.',
    });
    this.function.function.addEventSource(
      new DynamoEventSource(props.linksTable.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        bisectBatchOnError: true,
        retryAttempts: 10,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.failureQueue),
      }),
    );

    Validations.of(Stack.of(this)).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams (stream event source) and the example rule log-group policy exist only on the resource "*" in IAM; data access is granted by ARN (checked by the stack tests).',
    });
    Validations.of(Stack.of(this)).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's own deploy-time custom resource that writes the example rule's log group resource policy comes with the basic execution policy; it touches no data.",
    });
    const archive = new LogGroup(this, 'ExampleRuleLog', { retention: props.logRetention });
    new Rule(this, 'ExampleRule', {
      eventBus: this.bus,
      description: 'Example: every link event of line-id-link into a log group',
      eventPattern: { source: ['line-id-link'] },
      targets: [new CloudWatchLogGroup(archive, { installLatestAwsSdk: false })],
    });
    stackOutput(this, 'LinkEventBusName', {
      value: this.bus.eventBusName,
      description: 'EventBridge bus of link events (source line-id-link)',
    });
  }
}
