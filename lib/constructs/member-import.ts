import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { EventType, type Bucket, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MEMBER_IMPORT } from '../../functions/manifest/functions.js';
import type { FunctionWiring } from '../function-wiring.js';
import { createPrivateBucket } from './private-bucket.js';
import type { ServiceFunction } from './service-function.js';

export interface MemberImportProps {
  /** Creates the importer from its manifest entry (functions/manifest/functions.ts MEMBER_IMPORT). */
  readonly functions: FunctionWiring;
}

/** Uploads are picked up under this prefix only (nothing else in the bucket triggers an import). */
export const IMPORT_PREFIX = MEMBER_IMPORT.trigger.prefix;

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

    props.functions.provide({ kind: 'bucket', key: MEMBER_IMPORT.trigger.bucket, bucket: this.bucket });
    this.function = props.functions.create(this, 'Importer', MEMBER_IMPORT, {
      deadLetterQueue: this.deadLetterQueue,
    });
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
        prefix: MEMBER_IMPORT.trigger.prefix,
        suffix: MEMBER_IMPORT.trigger.suffix,
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
