/**
 * The deployed-artifact mode (`npm run start:deployed`, and the `deployed` jest project): the
 * HTTP API served from `cdk.out`, each function from its own asset bundle, handler, environment
 * and timeout as the synthesized templates wire them, tables created from the templates' own
 * definitions, and every AWS call a function makes signed with credentials of its own, recorded
 * and checked against that function's role. These types are the seams between its parts.
 */

/** A JSON value of a CloudFormation template, navigated freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** Where the assembly says its stacks go (`aws://account/region` in manifest.json). */
export interface AssemblyEnvironment {
  /** A 12-digit account; `000000000000` when the synth left it unresolved. */
  account: string;
  /** A region name; `us-east-1` when the synth left it unresolved. */
  region: string;
  partition: string;
}

/** A stack of the cloud assembly: its name and its synthesized template. */
export interface AssemblyStack {
  /** Stack name (`LineIdLink-Api`). */
  name: string;
  template: {
    Resources: Record<string, { Type: string; Properties?: Json; Metadata?: Json }>;
    Outputs?: Json;
  };
  /**
   * The template's Resources and Outputs with every intrinsic resolved to local values (set by
   * readDeployedApp), for checks that read what a resource resolves to.
   */
  resolvedTemplate?: {
    Resources: Record<string, { Type: string; Properties?: Json }>;
    Outputs?: Json;
  };
}

/**
 * Local stand-in names for the physical resources, chosen by whoever starts the mode (a test
 * suite tags table names with its own suffix; `npm run start:deployed` uses stable names).
 */
export interface LocalNaming {
  /** Physical name of a resource without an explicit name (tables, queues, buses, buckets, secrets). */
  physicalName(stack: string, logicalId: string, type: string): string;
}

/** A DynamoDB table as the template defines it, under its local name. */
export interface DeployedTable {
  stack: string;
  logicalId: string;
  name: string;
  arn: string;
  /** The CreateTable input (KeySchema, AttributeDefinitions, indexes, billing, stream) from the template. */
  createTableInput: Json;
  /** TimeToLiveSpecification.AttributeName when TTL is enabled. */
  ttlAttribute?: string;
  /** StreamSpecification.StreamViewType when the table has a stream. */
  streamViewType?: string;
  /** The stream's ARN as the template resolves it (`Fn::GetAtt [Table, StreamArn]`). */
  streamArn?: string;
}

/** One IAM policy document attached to a function's role (inline AWS::IAM::Policy or managed). */
export interface DeployedPolicy {
  name: string;
  document: Json;
}

/** A Lambda function as the template wires it, with every intrinsic resolved to local values. */
export interface DeployedFunction {
  stack: string;
  logicalId: string;
  /** The construct path (`LineIdLink-Api/LinksPost/Function`), for messages. */
  path: string;
  /** The physical function name used locally (also AWS_LAMBDA_FUNCTION_NAME). */
  name: string;
  arn: string;
  /** `Handler` (`index.handler`). */
  handler: string;
  /** `Runtime` (`nodejs22.x`). */
  runtime: string;
  timeoutSeconds: number;
  memorySize: number;
  architecture: string;
  /** The function's `Environment.Variables`, resolved (table names, queue URLs, secret ARNs…). */
  environment: Record<string, string>;
  /** Absolute path of the asset folder in cdk.out that `cdk deploy` zips and uploads. */
  assetDir: string;
  /**
   * Source of a function whose code is inline in the template (`Code.ZipFile`, as CDK's own
   * Python custom-resource handlers): it has no asset, and `assetDir` is then empty.
   */
  inlineCode?: string;
  /** The role's logical ID and every policy document attached to it, resolved. */
  roleLogicalId: string;
  policies: DeployedPolicy[];
}

/** One route of the HTTP API (AWS::ApiGatewayV2::Route and its AWS_PROXY integration). */
export interface DeployedRoute {
  /** `GET /links/me`, `POST /admin/members/{memberId}/unlock` or `$default`. */
  routeKey: string;
  authorizationType: 'NONE' | 'AWS_IAM';
  /** Logical ID of the function its integration invokes. */
  functionLogicalId: string;
  payloadFormatVersion: string;
}

/** The HTTP API's CORS configuration as the template gives it (API Gateway answers preflights). */
export interface DeployedCors {
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAge?: number;
  allowCredentials: boolean;
}

export interface DeployedHttpApi {
  logicalId: string;
  routes: DeployedRoute[];
  cors?: DeployedCors;
}

/** An AWS::Lambda::EventSourceMapping, resolved. */
export interface DeployedEventSource {
  functionLogicalId: string;
  source: { kind: 'dynamodb-stream'; tableLogicalId: string } | { kind: 'sqs'; queueLogicalId: string };
  batchSize: number;
  /** `ReportBatchItemFailures` in FunctionResponseTypes. */
  reportBatchItemFailures: boolean;
  startingPosition?: string;
  /** Streams: `MaximumRetryAttempts` (-1, Lambda's default, retries until the record expires). */
  maximumRetryAttempts?: number;
  /** Streams: `BisectBatchOnFunctionError`. */
  bisectBatchOnFunctionError?: boolean;
  /** Streams: the ARN of `DestinationConfig.OnFailure` (an SQS queue of the assembly, locally). */
  onFailureDestinationArn?: string;
}

export interface DeployedQueue {
  stack: string;
  logicalId: string;
  name: string;
  arn: string;
  /**
   * The URL functions are given. The SDK sends SQS calls to this URL's host, not to
   * AWS_ENDPOINT_URL, so it must be the local AWS endpoint's (`localQueueUrl` in aws-endpoint.ts).
   */
  url: string;
  /** `VisibilityTimeout` of the template (SQS's default, 30 s, when absent). */
  visibilityTimeoutSeconds?: number;
  /**
   * `RedrivePolicy`: a message received `maxReceiveCount` times without being deleted moves to
   * the dead-letter queue at its next receive.
   */
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

export interface DeployedSecret {
  stack: string;
  logicalId: string;
  name: string;
  arn: string;
}

export interface DeployedNamed {
  stack: string;
  logicalId: string;
  name: string;
  arn: string;
}

/** Everything of the cloud assembly the mode serves, resolved to local names. */
export interface DeployedApp {
  outdir: string;
  environment: AssemblyEnvironment;
  stacks: AssemblyStack[];
  tables: DeployedTable[];
  functions: DeployedFunction[];
  httpApi: DeployedHttpApi;
  eventSources: DeployedEventSource[];
  queues: DeployedQueue[];
  secrets: DeployedSecret[];
  buses: DeployedNamed[];
  buckets: DeployedNamed[];
}

/** One AWS call a function made, as the local AWS endpoint saw it. */
export interface RecordedCall {
  /** Logical ID of the calling function (known from the access key it signed with). */
  functionLogicalId: string;
  /** IAM action, `dynamodb:GetItem`; a TransactWriteItems records one call per item kind and table. */
  action: string;
  /** Resource ARN the action applies to (a table, an index, a secret, a queue, a bus). */
  resource: string;
}

/** Credentials one function signs its AWS calls with (set as its AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). */
export interface FunctionCredentials {
  functionLogicalId: string;
  accessKeyId: string;
  secretAccessKey: string;
}
