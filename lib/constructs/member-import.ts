import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { EventType, type Bucket, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createPrivateBucket } from './private-bucket.js';
import { ServiceFunction } from './service-function.js';
import type { TableAction } from '../../functions/manifest/routes.js';
import type { ServiceTable } from './service-table.js';

export interface MemberImportProps {
  /** The import handler's source file (functions/handlers/members-import-s3.ts). */
  readonly entry: string;
  readonly membersTable: ServiceTable;
  /** The item actions the import sends to the members table (lib/plan.ts MEMBER_IMPORT). */
  readonly membersTableActions: readonly TableAction[];
  readonly pepper: ISecret;
  /** Settings (MEMBER_FACTORS) and Powertools variables for the function. */
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** X-Ray tracing (ServiceFunction's `tracing`). @default true */
  readonly tracing?: boolean;
}

/** Uploads are picked up under this prefix only (nothing else in the bucket triggers an import). */
export const IMPORT_PREFIX = 'incoming/';

/**
 * Pattern 3's import path in the cloud: operators put a member CSV under `incoming/` in a private
 * bucket and the import function loads it into the members table (the same import code as
 * `npm run import`). The CSV holds factors in plain text until they are hashed, so the bucket is
 * encrypted, closed to the public, TLS-only, access-logged, and forgets uploads after a week.
 * Failed imports (after Lambda's two retries) land in a dead-letter queue that raises an alarm.
 */
export class MemberImport extends Construct {
  readonly bucket: Bucket;
  readonly function: ServiceFunction;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: MemberImportProps) {
    super(scope, id);
    ({ bucket: this.bucket } = createPrivateBucket(this, {
      purpose: 'import',
      versioned: true,
      lifecycleRules: [
        {
          expiration: Duration.days(7),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    }));

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the import function; it has no consumer to fail.',
    });

    this.function = new ServiceFunction(this, 'Importer', {
      entry: props.entry,
      description: 'line-id-link S3 member import',
      memorySize: 1024,
      timeout: Duration.minutes(15),
      environment: props.environment,
      logRetention: props.logRetention,
      deadLetterQueue: this.deadLetterQueue,
      tracing: props.tracing,
    })
      .useTable(props.membersTable, props.membersTableActions)
      .useSecret('MEMBER_HASH_PEPPER', props.pepper)
      .useObjects('IMPORT_BUCKET', this.bucket, IMPORT_PREFIX);
    const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    Validations.of(this.function).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${IMPORT_PREFIX}*]`,
      reason:
        'Upload keys are not known in advance: the importer reads any object under the upload prefix, and nothing else.',
    });

    this.bucket.addEventNotification(
      EventType.OBJECT_CREATED,
      new LambdaDestination(this.function.function),
      {
        prefix: IMPORT_PREFIX,
        suffix: '.csv',
      },
    );
    // CDK configures bucket notifications through its own singleton custom resource function.
    const notificationsHandler = Stack.of(this).node.children.find((child) =>
      child.node.id.startsWith('BucketNotificationsHandler'),
    );
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's own BucketNotificationsHandler (a deploy-time custom resource that sets the bucket's notification configuration) comes with the basic execution policy; it touches no data.",
      });
    }
  }
}
