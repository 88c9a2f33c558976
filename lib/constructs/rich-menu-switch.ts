import { Duration, Validations } from 'aws-cdk-lib';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RICH_MENU_STREAM } from '../../functions/manifest/functions.js';
import type { FunctionWiring } from '../function-wiring.js';
import type { ServiceFunction } from './service-function.js';
import type { ServiceTable } from './service-table.js';

export interface RichMenuSwitchProps {
  /** Creates the function from its manifest entry (functions/manifest/functions.ts RICH_MENU_STREAM). */
  readonly functions: FunctionWiring;
  /** The table of its trigger; must have a NEW_AND_OLD_IMAGES stream. */
  readonly linksTable: ServiceTable;
}

/**
 * Rich menus by link status: a second reader of the links table's stream (a stream serves two
 * readers without throttling them, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html)
 * that switches each user's rich menu after a link is made or removed. As for the link events
 * (lib/constructs/link-events.ts), a record the function reports failed is retried with every
 * record after it, in order; after 10 retries the batch's positions go to a failure queue the
 * operations alarm watches. Records are switched one by one, so batches are small.
 */
export class RichMenuSwitch extends Construct {
  readonly function: ServiceFunction;
  /** The stream mapping's on-failure destination (shard and sequence numbers of what failed). */
  readonly failureQueue: Queue;

  constructor(scope: Construct, id: string, props: RichMenuSwitchProps) {
    super(scope, id);
    this.function = props.functions.create(this, 'Switcher', RICH_MENU_STREAM);
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
        batchSize: 25,
        bisectBatchOnError: true,
        retryAttempts: 10,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.failureQueue),
      }),
    );
  }
}
