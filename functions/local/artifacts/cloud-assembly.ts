import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import NodeEvaluator from 'cfn-resolver-lib';
import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableIfAbsent } from '../dynamodb-local.js';
import type {
  AssemblyEnvironment,
  AssemblyStack,
  DeployedApp,
  DeployedCors,
  DeployedEventSource,
  DeployedFunction,
  DeployedHttpApi,
  DeployedNamed,
  DeployedPolicy,
  DeployedQueue,
  DeployedRoute,
  DeployedSecret,
  DeployedTable,
  Json,
  LocalNaming,
} from './types.js';

/** Options of {@link readDeployedApp}. */
export interface ReadDeployedAppOptions {
  /**
   * Base URL of the local SQS endpoint: a queue's `Ref` (its URL) reads
   * `${queueUrlBase}/${account}/${queueName}`, so a function's SDK reaches the local endpoint with
   * the URL its template gives it. Default `https://sqs.<region>.amazonaws.com`, as in AWS.
   */
  queueUrlBase?: string;
}

/**
 * Reads a synthesized cloud assembly (`cdk.out`) as `cdk deploy` would deploy it, and resolves it
 * to local values: every `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::ImportValue`… in both stacks becomes
 * the local name, ARN or URL of its resource (`naming` picks the names of resources the template
 * leaves unnamed, as CloudFormation would). The deployed-artifact mode serves what it returns:
 * functions with their bundles, handlers and environments, the HTTP API's routes, event source
 * mappings, tables to create, and the role policies each function's calls are checked against.
 */
export function readDeployedApp(
  outdir: string,
  naming: LocalNaming,
  options: ReadDeployedAppOptions = {},
): DeployedApp {
  const stacks = readManifest(outdir);
  const physical = new Map<string, Map<string, Physical>>();
  for (const stack of stacks) {
    const byId = new Map<string, Physical>();
    for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
      byId.set(logicalId, physicalOf(stack, logicalId, resource, naming, options));
    }
    physical.set(stack.name, byId);
  }

  const exports: Record<string, Json> = {};
  const resolved: ResolvedStack[] = [];
  for (const stack of stacks) {
    const template = resolveTemplate(stack, physical.get(stack.name)!, exports);
    for (const output of Object.values<Json>(template.Outputs ?? {})) {
      if (typeof output?.Export?.Name === 'string') exports[output.Export.Name] = output.Value;
    }
    resolved.push({ ...stack, physical: physical.get(stack.name)!, resolved: template });
  }

  const functions = readFunctions(outdir, resolved);
  return {
    outdir,
    environment: stacks[0]?.environment ?? environmentOf(UNKNOWN_ENVIRONMENT),
    stacks: resolved.map(({ name, template, resolved: resolvedTemplate }) => ({
      name,
      template,
      resolvedTemplate,
    })),
    tables: readTables(resolved),
    functions,
    httpApi: readHttpApi(resolved, functions),
    eventSources: readEventSources(resolved, functions),
    queues: readQueues(resolved),
    secrets: namedOf(resolved, 'AWS::SecretsManager::Secret').map(
      ({ stack, logicalId, name, arn }): DeployedSecret => ({ stack, logicalId, name, arn }),
    ),
    buses: namedOf(resolved, 'AWS::Events::EventBus').map(plainNamed),
    buckets: namedOf(resolved, 'AWS::S3::Bucket').map(plainNamed),
  };
}

/**
 * Creates the template's tables in DynamoDB Local (keys, indexes, billing, stream, then TTL).
 * A table that exists already is left as it is, so a restart keeps its items.
 */
export async function createDeployedTables(
  client: DynamoDBClient,
  tables: readonly DeployedTable[],
): Promise<void> {
  for (const table of tables) {
    await createTableIfAbsent(client, table.createTableInput as CreateTableCommandInput, table.ttlAttribute);
  }
}

/**
 * Local names without a tag, `<prefix>-<stack>-<logicalId>` (like the names CloudFormation
 * generates, without its random suffix): the same assembly gets the same names on every start,
 * so DynamoDB Local's data survive restarts.
 */
export function stableNaming(prefix?: string): LocalNaming {
  return {
    physicalName: (stack, logicalId, type) =>
      fitName([prefix, stack, logicalId].filter(Boolean).join('-'), '', type),
  };
}

/**
 * Local names tagged with a suffix, `<stack>-<logicalId>-<suffix>`: a test suite that creates the
 * template's tables shares none with another suite running at the same time. The suffix is kept
 * whole when a name has to be shortened to fit its service's limit.
 */
export function taggedNaming(suffix: string): LocalNaming {
  return { physicalName: (stack, logicalId, type) => fitName(`${stack}-${logicalId}`, suffix, type) };
}

// ---------------------------------------------------------------------------------------------
// Names

interface NameRule {
  max: number;
  /** Characters outside the set are replaced by `-`. */
  invalid: RegExp;
  lowercase?: boolean;
}

/**
 * Each service's limits on names (the strictest of a service's resources where one type stands
 * for several): DynamoDB https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html,
 * SQS https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html,
 * S3 https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html,
 * Lambda and IAM role names 64 characters, log groups and secrets 512.
 */
const NAME_RULES: Record<string, NameRule> = {
  'AWS::DynamoDB::Table': { max: 255, invalid: /[^a-zA-Z0-9_.-]/g },
  'AWS::DynamoDB::GlobalTable': { max: 255, invalid: /[^a-zA-Z0-9_.-]/g },
  // 80 less `.fifo`, which a FIFO queue's name must end with.
  'AWS::SQS::Queue': { max: 75, invalid: /[^a-zA-Z0-9_-]/g },
  'AWS::S3::Bucket': { max: 63, invalid: /[^a-z0-9-]/g, lowercase: true },
  'AWS::SecretsManager::Secret': { max: 512, invalid: /[^a-zA-Z0-9/_+=.@-]/g },
  'AWS::Events::EventBus': { max: 256, invalid: /[^a-zA-Z0-9/._-]/g },
  'AWS::Logs::LogGroup': { max: 512, invalid: /[^a-zA-Z0-9/._#-]/g },
  'AWS::IAM::ManagedPolicy': { max: 128, invalid: /[^a-zA-Z0-9+=,.@_-]/g },
  'AWS::IAM::Policy': { max: 128, invalid: /[^a-zA-Z0-9+=,.@_-]/g },
};
/** Lambda function and IAM role names, and a safe default for every other type. */
const DEFAULT_NAME_RULE: NameRule = { max: 64, invalid: /[^a-zA-Z0-9_-]/g };

function fitName(base: string, suffix: string, type: string): string {
  const rule = NAME_RULES[type] ?? DEFAULT_NAME_RULE;
  const clean = (text: string) => {
    const cased = rule.lowercase ? text.toLowerCase() : text;
    return cased.replace(rule.invalid, '-');
  };
  const tail = suffix ? `-${clean(suffix)}` : '';
  let head = clean(base);
  if (head.length + tail.length > rule.max) {
    // Shortened names stay unique: the hash of the full name replaces what is cut.
    const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
    head = `${head.slice(0, Math.max(1, rule.max - tail.length - hash.length - 1))}-${hash}`;
  }
  const name = `${head}${tail}`.slice(0, rule.max);
  return rule.lowercase ? name.replace(/^-+|-+$/g, '0') : name;
}

/** A deterministic run of letters and digits (API IDs, secret ARN suffixes), from `seed`. */
function token(seed: string, length: number, alphabet: string): string {
  const bytes = createHash('sha256').update(seed).digest();
  return Array.from(bytes.subarray(0, length), (b) => alphabet[b % alphabet.length]).join('');
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

// ---------------------------------------------------------------------------------------------
// The assembly

interface ManifestStack extends AssemblyStack {
  environment: AssemblyEnvironment;
  /** Construct path of each logical ID, from the assembly's metadata. */
  paths: Map<string, string>;
  template: AssemblyStack['template'] & {
    Parameters?: Json;
    Conditions?: Json;
    Mappings?: Json;
  };
}

interface ResolvedStack extends ManifestStack {
  physical: Map<string, Physical>;
  resolved: { Resources: Record<string, { Type: string; Properties?: Json }>; Outputs?: Json };
}

const UNKNOWN_ENVIRONMENT = 'aws://unknown-account/unknown-region';

/**
 * The stacks of manifest.json (`aws:cloudformation:stack` artifacts), each after the stacks it
 * depends on, so an import always finds its export resolved.
 * https://docs.aws.amazon.com/cdk/api/v2/docs/cloud-assembly-schema-readme.html
 */
function readManifest(outdir: string): ManifestStack[] {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as Json;
  const artifacts: Record<string, Json> = manifest.artifacts ?? {};
  const stackIds = Object.keys(artifacts).filter((id) => artifacts[id].type === 'aws:cloudformation:stack');
  const ordered: string[] = [];
  const visit = (id: string, seen: Set<string>) => {
    if (ordered.includes(id) || seen.has(id)) return;
    seen.add(id);
    for (const dependency of artifacts[id].dependencies ?? []) {
      if (stackIds.includes(dependency)) visit(dependency, seen);
    }
    ordered.push(id);
  };
  for (const id of stackIds) visit(id, new Set());
  return ordered.map((id) => {
    const artifact = artifacts[id];
    const template = JSON.parse(
      readFileSync(join(outdir, artifact.properties.templateFile), 'utf8'),
    ) as ManifestStack['template'];
    return {
      name: artifact.properties.stackName ?? id,
      environment: environmentOf(artifact.environment ?? UNKNOWN_ENVIRONMENT),
      template: { ...template, Resources: template.Resources ?? {} },
      paths: constructPaths(outdir, artifact),
    };
  });
}

/**
 * Logical ID → construct path, from the `aws:cdk:logicalId` entries of the stack's metadata
 * (inline in manifest.json or in its additional metadata file). Resources carry the path in their
 * own `aws:cdk:path` Metadata only when the CDK CLI asks for it; these entries are always there.
 */
function constructPaths(outdir: string, artifact: Json): Map<string, string> {
  const metadata: Record<string, Json[]> = artifact.additionalMetadataFile
    ? JSON.parse(readFileSync(join(outdir, artifact.additionalMetadataFile), 'utf8'))
    : (artifact.metadata ?? {});
  const paths = new Map<string, string>();
  for (const [path, entries] of Object.entries(metadata)) {
    for (const entry of entries) {
      if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') {
        paths.set(entry.data, path.replace(/^\//, ''));
      }
    }
  }
  return paths;
}

function environmentOf(environment: string): AssemblyEnvironment {
  const match = /^aws:\/\/([^/]+)\/(.+)$/.exec(environment);
  const account = match?.[1] && match[1] !== 'unknown-account' ? match[1] : '000000000000';
  const region = match?.[2] && match[2] !== 'unknown-region' ? match[2] : 'us-east-1';
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return { account, region, partition };
}

// ---------------------------------------------------------------------------------------------
// Physical resources: names, Ref and Fn::GetAtt values, as CloudFormation returns them

interface Physical {
  type: string;
  name: string;
  /** What `Ref` returns. */
  ref: string;
  /** What `Fn::GetAtt` returns, by attribute. */
  attributes: Record<string, string>;
}

/** Where a type keeps its explicit name (CloudFormation's resource reference). */
const NAME_PROPERTY: Record<string, string[]> = {
  'AWS::DynamoDB::Table': ['TableName'],
  'AWS::DynamoDB::GlobalTable': ['TableName'],
  'AWS::SQS::Queue': ['QueueName'],
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::Events::EventBus': ['Name'],
  'AWS::Events::Rule': ['Name'],
  'AWS::S3::Bucket': ['BucketName'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::IAM::Role': ['RoleName'],
  'AWS::IAM::ManagedPolicy': ['ManagedPolicyName'],
  'AWS::IAM::Policy': ['PolicyName'],
  'AWS::SNS::Topic': ['TopicName'],
  'AWS::ApiGatewayV2::Api': ['Name'],
  'AWS::ApiGatewayV2::Stage': ['StageName'],
  'AWS::Glue::Database': ['DatabaseInput', 'Name'],
  'AWS::Glue::Table': ['TableInput', 'Name'],
  'AWS::Athena::WorkGroup': ['Name'],
};

function physicalOf(
  stack: ManifestStack,
  logicalId: string,
  resource: { Type: string; Properties?: Json },
  naming: LocalNaming,
  options: ReadDeployedAppOptions,
): Physical {
  const { Type: type, Properties: properties = {} } = resource;
  const { account, region, partition } = stack.environment;
  const explicit = explicitName(stack, properties, NAME_PROPERTY[type]);
  let name = explicit ?? naming.physicalName(stack.name, logicalId, type);
  const arn = (service: string, resourcePart: string, inRegion = region, inAccount = account) =>
    `arn:${partition}:${service}:${inRegion}:${inAccount}:${resourcePart}`;
  const suffix = urlSuffix(region);
  switch (type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable': {
      const tableArn = arn('dynamodb', `table/${name}`);
      // The label is the stream's creation time in AWS; any fixed one identifies it locally.
      const streamArn = `${tableArn}/stream/1970-01-01T00:00:00.000`;
      return { type, name, ref: name, attributes: { Arn: tableArn, StreamArn: streamArn } };
    }
    case 'AWS::SQS::Queue': {
      if (!explicit && properties.FifoQueue === true) name = `${name}.fifo`;
      const base = options.queueUrlBase ?? `https://sqs.${region}.${suffix}`;
      const url = `${base.replace(/\/+$/, '')}/${account}/${name}`;
      const queueArn = arn('sqs', name);
      return { type, name, ref: url, attributes: { Arn: queueArn, QueueName: name, QueueUrl: url } };
    }
    case 'AWS::SecretsManager::Secret': {
      // Secrets Manager appends a hyphen and six random characters to the name in the ARN.
      const secretArn = arn('secretsmanager', `secret:${name}-${token(name, 6, ALNUM)}`);
      return { type, name, ref: secretArn, attributes: { Id: secretArn } };
    }
    case 'AWS::Lambda::Function':
      return { type, name, ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
    case 'AWS::IAM::Role': {
      const roleArn = arn('iam', `role${properties.Path ?? '/'}${name}`, '', account);
      return { type, name, ref: name, attributes: { Arn: roleArn, RoleId: `AROA${token(name, 17, ALNUM)}` } };
    }
    case 'AWS::IAM::ManagedPolicy': {
      const policyArn = arn('iam', `policy${properties.Path ?? '/'}${name}`, '', account);
      return { type, name, ref: policyArn, attributes: { PolicyArn: policyArn } };
    }
    case 'AWS::Events::EventBus': {
      const busArn = arn('events', `event-bus/${name}`);
      return { type, name, ref: name, attributes: { Arn: busArn, Name: name } };
    }
    case 'AWS::Events::Rule':
      return { type, name, ref: name, attributes: { Arn: arn('events', `rule/${name}`) } };
    case 'AWS::S3::Bucket':
      return {
        type,
        name,
        ref: name,
        attributes: {
          Arn: `arn:${partition}:s3:::${name}`,
          DomainName: `${name}.s3.${suffix}`,
          RegionalDomainName: `${name}.s3.${region}.${suffix}`,
          DualStackDomainName: `${name}.s3.dualstack.${region}.${suffix}`,
          WebsiteURL: `http://${name}.s3-website-${region}.${suffix}`,
        },
      };
    case 'AWS::Logs::LogGroup':
      return { type, name, ref: name, attributes: { Arn: arn('logs', `log-group:${name}:*`) } };
    case 'AWS::SNS::Topic': {
      const topicArn = arn('sns', name);
      return { type, name, ref: topicArn, attributes: { TopicArn: topicArn, TopicName: name } };
    }
    case 'AWS::ApiGatewayV2::Api': {
      const apiId = token(`${stack.name}/${logicalId}/${name}`, 10, LOWER_ALNUM);
      return {
        type,
        name,
        ref: apiId,
        attributes: { ApiId: apiId, ApiEndpoint: `https://${apiId}.execute-api.${region}.${suffix}` },
      };
    }
    default:
      return {
        type,
        name,
        ref: name,
        attributes: { Arn: arn(type.split('::')[1]?.toLowerCase() ?? 'unknown', `${logicalId}/${name}`) },
      };
  }
}

function urlSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/** A resource's own name property, when set (resolved against the pseudo parameters if it needs them). */
function explicitName(
  stack: ManifestStack,
  properties: Json,
  path: string[] | undefined,
): string | undefined {
  if (!path) return undefined;
  const value = path.reduce<Json>((node, key) => node?.[key], properties);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  const result = new NodeEvaluator(
    { Parameters: stack.template.Parameters ?? {}, Value: protect(value, {}) },
    { RefResolvers: pseudoParameters(stack) },
  ).evaluateNodes().Value;
  return typeof result === 'string' ? result : undefined;
}

// ---------------------------------------------------------------------------------------------
// Intrinsics

/** Stands for `AWS::NoValue` during evaluation; the property holding it is removed afterwards. */
const NO_VALUE = '\u0000AWS::NoValue';
/** Keeps a one-key object an object (see {@link protect}). */
const KEEP = '\u0000keep';
/** An IAM policy `Condition` block, renamed while evaluating (see {@link protect}). */
const POLICY_CONDITION = '\u0000Condition';

function pseudoParameters(stack: ManifestStack): Record<string, string> {
  const { account, region, partition } = stack.environment;
  return {
    'AWS::AccountId': account,
    'AWS::Region': region,
    'AWS::Partition': partition,
    'AWS::URLSuffix': urlSuffix(region),
    'AWS::StackName': stack.name,
    'AWS::StackId': `arn:${partition}:cloudformation:${region}:${account}:stack/${stack.name}/${token(stack.name, 8, LOWER_ALNUM)}`,
    'AWS::NotificationARNs': '',
    'AWS::NoValue': NO_VALUE,
  };
}

/**
 * The stack's Resources and Outputs with every intrinsic evaluated by cfn-resolver-lib, given the
 * values CloudFormation would return: `Ref` and `Fn::GetAtt` of each resource (a deterministic
 * stand-in for attributes this module does not model), pseudo parameters, and the exports of the
 * stacks already resolved.
 */
function resolveTemplate(
  stack: ManifestStack,
  physical: Map<string, Physical>,
  exports: Record<string, Json>,
): ResolvedStack['resolved'] {
  const refs: Record<string, Json> = pseudoParameters(stack);
  const getAtts: Record<string, Record<string, string>> = {};
  for (const [logicalId, resource] of physical) {
    refs[logicalId] = resource.ref;
    getAtts[logicalId] = { ...resource.attributes };
    for (const [attribute, value] of Object.entries(resource.attributes)) {
      refs[`${logicalId}.${attribute}`] = value;
    }
  }
  const body = { Resources: stack.template.Resources, Outputs: stack.template.Outputs ?? {} };
  for (const [logicalId, attribute] of getAttReferences(body)) {
    getAtts[logicalId] ??= {};
    const known = getAtts[logicalId];
    if (known[attribute] === undefined) {
      known[attribute] = `${physical.get(logicalId)?.name ?? logicalId}.${attribute}`;
      refs[`${logicalId}.${attribute}`] = known[attribute];
    }
  }
  for (const literal of subEscapes(body)) refs[`!${literal}`] = `\${${literal}}`;
  for (const name of importNames(body)) {
    if (!(name in exports)) {
      throw new Error(`${stack.name}: Fn::ImportValue "${name}" is exported by no stack of the assembly`);
    }
  }

  const resources: Record<string, Json> = {};
  for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
    resources[logicalId] = {
      ...resource,
      ...(resource.Properties ? { Properties: protect(resource.Properties, refs) } : {}),
    };
  }
  const template = {
    Parameters: stack.template.Parameters ?? {},
    Conditions: stack.template.Conditions ?? {},
    Mappings: stack.template.Mappings ?? {},
    Resources: resources,
    Outputs: protect(stack.template.Outputs ?? {}, refs),
  };
  const evaluated = new NodeEvaluator(template, {
    RefResolvers: refs,
    'Fn::GetAttResolvers': getAtts,
    'Fn::ImportValueResolvers': exports,
  }).evaluateNodes();
  return unprotect({
    Resources: evaluated.Resources,
    Outputs: evaluated.Outputs,
  }) as ResolvedStack['resolved'];
}

const isIntrinsicKey = (key: string) => key === 'Ref' || key.startsWith('Fn::');

/**
 * Prepares a template fragment for cfn-resolver-lib, working around what it does not do:
 * - an object with a single key whose value is an array evaluates to the array, dropping the key
 *   (`{ Rules: [...] }` → `[...]`, `PolicyDocument: { Statement: [...] }` → `[...]`), and an
 *   empty object breaks `Fn::GetAtt` lookups: such objects get a marker key, removed after
 *   evaluation;
 * - an IAM `Condition` with more than one operator is returned unevaluated: renamed, it is
 *   evaluated as any object;
 * - `Fn::GetAtt` as a `Logical.Attribute` string: turned into the array form;
 * - `Fn::Sub` with a variable map sees only that map: the map is laid over the stack's values.
 */
function protect(value: Json, refs: Record<string, Json>): Json {
  if (Array.isArray(value)) return value.map((item) => protect(item, refs));
  if (!value || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && isIntrinsicKey(keys[0]!)) {
    const key = keys[0]!;
    const inner = value[key];
    if (key === 'Fn::GetAtt' && typeof inner === 'string') {
      const dot = inner.indexOf('.');
      return { [key]: [inner.slice(0, dot), inner.slice(dot + 1)] };
    }
    if (key === 'Fn::Sub' && Array.isArray(inner) && inner.length === 2) {
      return { [key]: [inner[0], { ...refs, ...protect(inner[1], refs) }] };
    }
    return { [key]: protect(inner, refs) };
  }
  const result: Record<string, Json> = {};
  for (const key of keys) {
    const inner = value[key];
    const isPolicyCondition = key === 'Condition' && inner && typeof inner === 'object';
    result[isPolicyCondition ? POLICY_CONDITION : key] = protect(inner, refs);
  }
  if (keys.length <= 1 && !(keys[0] === 'Condition' && typeof value.Condition === 'string')) {
    result[KEEP] = true;
  }
  return result;
}

function unprotect(value: Json): Json {
  if (Array.isArray(value)) return value.filter((item) => item !== NO_VALUE).map(unprotect);
  if (!value || typeof value !== 'object') return value;
  const result: Record<string, Json> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === KEEP || inner === NO_VALUE) continue;
    result[key === POLICY_CONDITION ? 'Condition' : key] = unprotect(inner);
  }
  return result;
}

/** Every `[logicalId, attribute]` a fragment reads with `Fn::GetAtt` or `${Logical.Attribute}`. */
function getAttReferences(value: Json, into: Array<[string, string]> = []): Array<[string, string]> {
  walk(value, (key, inner) => {
    if (key === 'Fn::GetAtt') {
      if (Array.isArray(inner) && typeof inner[0] === 'string' && typeof inner[1] === 'string') {
        into.push([inner[0], inner[1]]);
      } else if (typeof inner === 'string' && inner.includes('.')) {
        const dot = inner.indexOf('.');
        into.push([inner.slice(0, dot), inner.slice(dot + 1)]);
      }
    } else if (key === 'Fn::Sub') {
      const text = Array.isArray(inner) ? inner[0] : inner;
      if (typeof text !== 'string') return;
      for (const match of text.matchAll(/\$\{([^!}][^}.]*)\.([^}]+)\}/g)) into.push([match[1]!, match[2]!]);
    }
  });
  return into;
}

/** The `${!Literal}` escapes of `Fn::Sub` strings (CloudFormation writes them as `${Literal}`). */
function subEscapes(value: Json): string[] {
  const literals: string[] = [];
  walk(value, (key, inner) => {
    const text = key === 'Fn::Sub' ? (Array.isArray(inner) ? inner[0] : inner) : undefined;
    if (typeof text === 'string')
      for (const match of text.matchAll(/\$\{!([^}]*)\}/g)) literals.push(match[1]!);
  });
  return literals;
}

function importNames(value: Json): string[] {
  const names: string[] = [];
  walk(value, (key, inner) => {
    if (key === 'Fn::ImportValue' && typeof inner === 'string') names.push(inner);
  });
  return names;
}

function walk(value: Json, visit: (key: string, inner: Json) => void): void {
  if (Array.isArray(value)) for (const item of value) walk(item, visit);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      visit(key, inner);
      walk(inner, visit);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// What the mode serves

interface Located {
  stack: ResolvedStack;
  logicalId: string;
  type: string;
  properties: Json;
  metadata: Json;
  physical: Physical;
}

function resourcesOf(stacks: readonly ResolvedStack[], ...types: string[]): Located[] {
  return stacks.flatMap((stack) =>
    Object.entries(stack.resolved.Resources)
      .filter(([, resource]) => types.includes(resource.Type))
      .map(([logicalId, resource]) => ({
        stack,
        logicalId,
        type: resource.Type,
        properties: resource.Properties ?? {},
        metadata: stack.template.Resources[logicalId]?.Metadata ?? {},
        physical: stack.physical.get(logicalId)!,
      })),
  );
}

function namedOf(stacks: readonly ResolvedStack[], type: string) {
  return resourcesOf(stacks, type).map(({ stack, logicalId, physical }) => ({
    stack: stack.name,
    logicalId,
    name: physical.name,
    arn: physical.attributes.Arn ?? physical.ref,
    physical,
  }));
}

/**
 * The queues with the template's VisibilityTimeout and RedrivePolicy
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sqs-queue.html).
 */
function readQueues(stacks: readonly ResolvedStack[]): DeployedQueue[] {
  return resourcesOf(stacks, 'AWS::SQS::Queue').map(({ stack, logicalId, properties, physical }) => {
    const redrive: Json =
      typeof properties.RedrivePolicy === 'string'
        ? JSON.parse(properties.RedrivePolicy)
        : properties.RedrivePolicy;
    return {
      stack: stack.name,
      logicalId,
      name: physical.name,
      arn: physical.attributes.Arn ?? physical.ref,
      url: physical.attributes.QueueUrl!,
      ...(properties.VisibilityTimeout !== undefined
        ? { visibilityTimeoutSeconds: Number(properties.VisibilityTimeout) }
        : {}),
      ...(typeof redrive?.deadLetterTargetArn === 'string'
        ? {
            redrive: {
              deadLetterTargetArn: redrive.deadLetterTargetArn,
              maxReceiveCount: Number(redrive.maxReceiveCount),
            },
          }
        : {}),
    };
  });
}

function plainNamed({ stack, logicalId, name, arn }: DeployedNamed & { physical: Physical }): DeployedNamed {
  return { stack, logicalId, name, arn };
}

function readTables(stacks: readonly ResolvedStack[]): DeployedTable[] {
  return resourcesOf(stacks, 'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable').map(
    ({ stack, logicalId, type, properties, physical }) => {
      const global = type === 'AWS::DynamoDB::GlobalTable';
      // An absent BillingMode means PROVISIONED for AWS::DynamoDB::Table:
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html
      const billingMode: string = properties.BillingMode ?? 'PROVISIONED';
      const provisioned = billingMode === 'PROVISIONED';
      const throughput = (own: Json) =>
        provisioned
          ? {
              ProvisionedThroughput: {
                ReadCapacityUnits: Number(own?.ReadCapacityUnits ?? 5),
                WriteCapacityUnits: Number(own?.WriteCapacityUnits ?? 5),
              },
            }
          : {};
      const index = (definition: Json, withThroughput: boolean) => ({
        IndexName: definition.IndexName,
        KeySchema: definition.KeySchema,
        Projection: definition.Projection,
        ...(withThroughput ? throughput(global ? undefined : definition.ProvisionedThroughput) : {}),
      });
      const gsis: Json[] = properties.GlobalSecondaryIndexes ?? [];
      const lsis: Json[] = properties.LocalSecondaryIndexes ?? [];
      const streamViewType: string | undefined = properties.StreamSpecification?.StreamViewType;
      const ttl = properties.TimeToLiveSpecification;
      const createTableInput: CreateTableCommandInput = {
        TableName: physical.name,
        KeySchema: properties.KeySchema,
        AttributeDefinitions: properties.AttributeDefinitions,
        BillingMode: billingMode as CreateTableCommandInput['BillingMode'],
        ...throughput(global ? undefined : properties.ProvisionedThroughput),
        ...(gsis.length ? { GlobalSecondaryIndexes: gsis.map((gsi) => index(gsi, true)) } : {}),
        ...(lsis.length ? { LocalSecondaryIndexes: lsis.map((lsi) => index(lsi, false)) } : {}),
        ...(streamViewType
          ? {
              StreamSpecification: {
                StreamEnabled: true,
                StreamViewType: streamViewType as 'NEW_AND_OLD_IMAGES',
              },
            }
          : {}),
      };
      return {
        stack: stack.name,
        logicalId,
        name: physical.name,
        arn: physical.attributes.Arn!,
        createTableInput,
        ...(ttl?.Enabled === true || ttl?.Enabled === 'true' ? { ttlAttribute: ttl.AttributeName } : {}),
        ...(streamViewType ? { streamViewType, streamArn: physical.attributes.StreamArn } : {}),
      };
    },
  );
}

/** Looks a resolved value (a name, ARN, URL) up among the resources of every stack. */
function findByValue(stacks: readonly ResolvedStack[], value: Json, ...types: string[]): Located | undefined {
  if (typeof value !== 'string') return undefined;
  return resourcesOf(stacks, ...types).find(
    ({ physical }) => physical.ref === value || Object.values(physical.attributes).includes(value),
  );
}

function readFunctions(outdir: string, stacks: readonly ResolvedStack[]): DeployedFunction[] {
  return resourcesOf(stacks, 'AWS::Lambda::Function').map(
    ({ stack, logicalId, properties, metadata, physical }): DeployedFunction => {
      const role = findByValue(stacks, properties.Role, 'AWS::IAM::Role');
      const code: Json = properties.Code ?? {};
      const assetPath: string | undefined =
        metadata['aws:asset:path'] ??
        (typeof code.S3Key === 'string' && code.S3Key.endsWith('.zip')
          ? `asset.${code.S3Key.slice(0, -'.zip'.length)}`
          : undefined);
      const variables: Record<string, Json> = properties.Environment?.Variables ?? {};
      return {
        stack: stack.name,
        logicalId,
        path: metadata['aws:cdk:path'] ?? stack.paths.get(logicalId) ?? `${stack.name}/${logicalId}`,
        name: physical.name,
        arn: physical.attributes.Arn!,
        handler: properties.Handler,
        runtime: properties.Runtime,
        // Lambda's defaults: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html
        timeoutSeconds: Number(properties.Timeout ?? 3),
        memorySize: Number(properties.MemorySize ?? 128),
        architecture: properties.Architectures?.[0] ?? 'x86_64',
        environment: Object.fromEntries(
          Object.entries(variables).map(([key, value]) => [
            key,
            typeof value === 'string' ? value : JSON.stringify(value),
          ]),
        ),
        assetDir: assetPath ? resolve(outdir, assetPath) : '',
        ...(typeof code.ZipFile === 'string' ? { inlineCode: code.ZipFile } : {}),
        roleLogicalId: role?.logicalId ?? '',
        policies: role ? rolePolicies(stacks, role) : [],
      };
    },
  );
}

const AWS_MANAGED_POLICY = /^arn:[^:]+:iam::aws:policy\//;

/**
 * Every policy document attached to a role: its inline `Policies`, the AWS::IAM::Policy,
 * RolePolicy and ManagedPolicy resources that name it, and its `ManagedPolicyArns`. An
 * AWS-managed policy's document is not in the templates: it is listed with an empty document.
 */
function rolePolicies(stacks: readonly ResolvedStack[], role: Located): DeployedPolicy[] {
  const roleName = role.physical.name;
  const policies = new Map<string, DeployedPolicy>();
  const add = (name: string, document: Json) => {
    if (!policies.has(name)) policies.set(name, { name, document });
  };
  for (const inline of role.properties.Policies ?? []) add(inline.PolicyName, inline.PolicyDocument);
  for (const policy of resourcesOf(stacks, 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy')) {
    if ((policy.properties.Roles ?? []).includes(roleName)) {
      add(policy.physical.name, policy.properties.PolicyDocument);
    }
  }
  for (const policy of resourcesOf(stacks, 'AWS::IAM::RolePolicy')) {
    if (policy.properties.RoleName === roleName) {
      add(policy.properties.PolicyName ?? policy.physical.name, policy.properties.PolicyDocument);
    }
  }
  for (const arn of role.properties.ManagedPolicyArns ?? []) {
    const managed = findByValue(stacks, arn, 'AWS::IAM::ManagedPolicy');
    if (managed) add(managed.physical.name, managed.properties.PolicyDocument);
    else if (AWS_MANAGED_POLICY.test(String(arn))) {
      add(`${arn} (AWS managed: its document is not in the templates)`, {
        Version: '2012-10-17',
        Statement: [],
      });
    } else add(`${arn} (not in the templates)`, { Version: '2012-10-17', Statement: [] });
  }
  return [...policies.values()];
}

function functionByValue(functions: readonly DeployedFunction[], value: Json): DeployedFunction | undefined {
  if (typeof value !== 'string') return undefined;
  return functions.find(
    (fn) =>
      value === fn.name ||
      value === fn.arn ||
      value.startsWith(`${fn.arn}:`) ||
      // API Gateway's form: arn:…:apigateway:region:lambda:path/2015-03-31/functions/<arn>/invocations
      value.includes(`/functions/${fn.arn}/`),
  );
}

function readHttpApi(
  stacks: readonly ResolvedStack[],
  functions: readonly DeployedFunction[],
): DeployedHttpApi {
  const api = resourcesOf(stacks, 'AWS::ApiGatewayV2::Api').find(
    ({ properties }) => (properties.ProtocolType ?? 'HTTP') === 'HTTP',
  );
  if (!api) return { logicalId: '', routes: [] };
  const integrations = resourcesOf(stacks, 'AWS::ApiGatewayV2::Integration');
  const routes = resourcesOf(stacks, 'AWS::ApiGatewayV2::Route')
    .filter(({ properties }) => properties.ApiId === api.physical.ref)
    .flatMap(({ logicalId, properties }): DeployedRoute[] => {
      const target: string | undefined = properties.Target;
      if (!target?.startsWith('integrations/')) return [];
      const integrationRef = target.slice('integrations/'.length);
      const integration = integrations.find(({ physical }) => physical.ref === integrationRef);
      const fn = functionByValue(functions, integration?.properties.IntegrationUri);
      if (!integration || !fn) {
        throw new Error(
          `Route ${logicalId} (${properties.RouteKey}): its integration invokes no function of the assembly`,
        );
      }
      const authorizationType: string = properties.AuthorizationType ?? 'NONE';
      if (authorizationType !== 'NONE' && authorizationType !== 'AWS_IAM') {
        throw new Error(
          `Route ${properties.RouteKey}: authorization ${authorizationType} is not served locally`,
        );
      }
      return [
        {
          routeKey: properties.RouteKey,
          authorizationType,
          functionLogicalId: fn.logicalId,
          payloadFormatVersion: String(integration.properties.PayloadFormatVersion ?? '2.0'),
        },
      ];
    });
  const cors: Json = api.properties.CorsConfiguration;
  return {
    logicalId: api.logicalId,
    routes,
    ...(cors
      ? {
          cors: {
            allowOrigins: cors.AllowOrigins ?? [],
            allowMethods: cors.AllowMethods ?? [],
            allowHeaders: cors.AllowHeaders ?? [],
            exposeHeaders: cors.ExposeHeaders ?? [],
            ...(cors.MaxAge !== undefined ? { maxAge: Number(cors.MaxAge) } : {}),
            allowCredentials: cors.AllowCredentials === true || cors.AllowCredentials === 'true',
          } satisfies DeployedCors,
        }
      : {}),
  };
}

/**
 * The event source mappings from DynamoDB streams and SQS queues (other sources are not served
 * locally), with Lambda's default batch sizes:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-eventsourcemapping.html
 */
function readEventSources(
  stacks: readonly ResolvedStack[],
  functions: readonly DeployedFunction[],
): DeployedEventSource[] {
  return resourcesOf(stacks, 'AWS::Lambda::EventSourceMapping').flatMap(
    ({ logicalId, properties }): DeployedEventSource[] => {
      const fn = functionByValue(functions, properties.FunctionName);
      if (!fn)
        throw new Error(
          `Event source mapping ${logicalId}: no function of the assembly is named ${properties.FunctionName}`,
        );
      const source = properties.EventSourceArn;
      const table = resourcesOf(stacks, 'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable').find(
        ({ physical }) => physical.attributes.StreamArn === source,
      );
      const queue = findByValue(stacks, source, 'AWS::SQS::Queue');
      if (!table && !queue) return [];
      const common = {
        functionLogicalId: fn.logicalId,
        reportBatchItemFailures: (properties.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
        ...(properties.StartingPosition ? { startingPosition: properties.StartingPosition } : {}),
      };
      const onFailure: unknown = properties.DestinationConfig?.OnFailure?.Destination;
      return table
        ? [
            {
              ...common,
              source: { kind: 'dynamodb-stream', tableLogicalId: table.logicalId },
              batchSize: Number(properties.BatchSize ?? 100),
              maximumRetryAttempts: Number(properties.MaximumRetryAttempts ?? -1),
              bisectBatchOnFunctionError:
                properties.BisectBatchOnFunctionError === true ||
                properties.BisectBatchOnFunctionError === 'true',
              ...(typeof onFailure === 'string' ? { onFailureDestinationArn: onFailure } : {}),
            },
          ]
        : [
            {
              ...common,
              source: { kind: 'sqs', queueLogicalId: queue!.logicalId },
              batchSize: Number(properties.BatchSize ?? 10),
            },
          ];
    },
  );
}
