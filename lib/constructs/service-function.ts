import { join } from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLING, PROJECT_ROOT } from '../bundling.js';
import type { SecretName } from '../settings.js';
import type { TableAction } from '../../functions/manifest/function-definition.js';
import { tableActions, type ServiceTable } from './service-table.js';

export interface ServiceFunctionProps {
  /** The handler's source file (exports `handler`). */
  readonly entry: string;
  readonly description?: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** Settings and Powertools variables; table names and secret ARNs come with useTable/useSecret. */
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** For asynchronously invoked functions: where failed events go after the retries. */
  readonly deadLetterQueue?: IQueue;
  /**
   * X-Ray active tracing, with the Powertools Tracer in the code (POWERTOOLS_TRACE_ENABLED).
   * @default true
   */
  readonly tracing?: boolean;
}

/**
 * One Lambda function of the service: Node.js 22 on arm64, bundled by the local esbuild with the
 * shared options (lib/bundling.ts), its own log group with a retention, and its own role that
 * starts with nothing but writing to that log group (no managed policy).
 *
 * House rule: a function's access to a resource and the variable that names the resource are
 * given in one call (`useTable`, `useSecret`, `useQueue`, `useEventBus`, `useObjects`), made for
 * every function from its manifest entry by lib/function-wiring.ts, so no function ever knows about a
 * resource it may not use, nor holds a grant it has no variable for.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const tracing = props.tracing ?? true;
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.description ?? id}`,
    });
    // The log group exists already: the function only creates streams in it and writes.
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      bundling: LAMBDA_BUNDLING,
      // SDK v3 reuses connections by itself; the variable only mattered for SDK v2.
      awsSdkConnectionReuse: false,
      deadLetterQueue: props.deadLetterQueue,
      tracing: tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_TRACE_ENABLED: String(tracing),
        ...props.environment,
      },
    });
    if (tracing) {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html), so CDK grants them on *; no data is reachable through them.',
      });
    }
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime this service is specified, tested and benchmarked on (ESM bundles targeting node22); moving to a newer runtime is a deliberate change made with its tests.',
    });
  }

  /** Sets the table's name variable and grants exactly `actions` on it (and its indexes). */
  useTable(table: ServiceTable, actions: readonly TableAction[]): this {
    this.function.addEnvironment(table.envVar, table.tableName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: tableActions(actions), resources: table.resourceArns() }),
    );
    return this;
  }

  /** Sets `${name}_ARN` and grants reading that one secret's value (nothing else of it). */
  useSecret(name: SecretName, secret: ISecret): this {
    this.function.addEnvironment(`${name}_ARN`, secret.secretArn);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    return this;
  }

  /**
   * Sets `variable` to the queue's URL and grants sending messages to it, nothing else: not the
   * GetQueueAttributes and GetQueueUrl that `grantSendMessages` adds, which no function calls (the
   * deployed-artifact mode's IAM report showed them unused). SendMessageBatch is authorized as
   * SendMessage. For an SQS-managed (not KMS) encrypted queue no key grant is needed.
   */
  useQueue(variable: string, queue: IQueue): this {
    this.function.addEnvironment(variable, queue.queueUrl);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
    );
    return this;
  }

  /** Sets `variable` to the bus's name and grants putting events on it, nothing else. */
  useEventBus(variable: string, bus: IEventBus): this {
    this.function.addEnvironment(variable, bus.eventBusName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] }),
    );
    return this;
  }

  /** Sets `variable` to the bucket's name and grants reading objects under `prefix`. */
  useObjects(variable: string, bucket: IBucket, prefix: string): this {
    this.function.addEnvironment(variable, bucket.bucketName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${prefix}*`)] }),
    );
    return this;
  }
}
