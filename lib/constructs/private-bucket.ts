import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  type LifecycleRule,
} from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Options of {@link createPrivateBucket}. */
export interface PrivateBucketProps {
  /** Short name of what the bucket holds (`import`, `export`): its access logs go under `<purpose>-bucket/`. */
  readonly purpose: string;
  readonly lifecycleRules: LifecycleRule[];
  readonly versioned?: boolean;
  /** Default RETAIN: the buckets hold personal data. */
  readonly removalPolicy?: RemovalPolicy;
}

/** What every bucket of the service is: SSE-S3, no public access, owner-enforced, TLS 1.2+ only. */
const PRIVATE = {
  encryption: BucketEncryption.S3_MANAGED,
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
} as const;

/**
 * A private bucket for personal data (member CSVs, link exports) and the bucket that receives its
 * server access logs (kept a year), created in `scope` as `Bucket` and `AccessLogs`.
 */
export function createPrivateBucket(
  scope: Construct,
  props: PrivateBucketProps,
): { bucket: Bucket; accessLogs: Bucket } {
  const accessLogs = new Bucket(scope, 'AccessLogs', {
    ...PRIVATE,
    lifecycleRules: [{ expiration: Duration.days(365) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(accessLogs).acknowledge({
    id: 'AwsSolutions-S1',
    reason: `This bucket receives the server access logs of the ${props.purpose} bucket; logging it in turn would recurse.`,
  });
  const bucket = new Bucket(scope, 'Bucket', {
    ...PRIVATE,
    versioned: props.versioned,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: `${props.purpose}-bucket/`,
    lifecycleRules: props.lifecycleRules,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  return { bucket, accessLogs };
}
