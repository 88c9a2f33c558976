import { Duration } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { VariableName } from '../functions/manifest/config-schema.js';
import {
  BUCKETS,
  DEFAULT_SIZING,
  EVENT_BUSES,
  QUEUES,
  type BucketKey,
  type EventBusKey,
  type FunctionDefinition,
  type QueueKey,
} from '../functions/manifest/function-definition.js';
import type { EventFunctionDefinition } from '../functions/manifest/functions.js';
import type { RouteDefinition } from '../functions/manifest/routes.js';
import type { TableKey } from '../functions/manifest/table-definitions.js';
import { handlerEntry } from './bundling.js';
import { ServiceFunction } from './constructs/service-function.js';
import type { ServiceTable } from './constructs/service-table.js';
import type { DeploymentPlan } from './plan.js';
import { environmentFor, SETTINGS_GROUPS, type SecretName, type Settings } from './settings.js';

/** Variables whose value the stack computes (the API's URL, the deployed routes). */
export type ComputedVariable = Extract<VariableName, 'PUBLIC_BASE_URL' | 'API_ROUTES'>;
const COMPUTED: readonly ComputedVariable[] = ['PUBLIC_BASE_URL', 'API_ROUTES'];

/** The resources a function's entry can name, once the stack has made them. */
type Resource =
  | { kind: 'queue'; key: QueueKey; queue: IQueue }
  | { kind: 'event-bus'; key: EventBusKey; bus: IEventBus }
  | { kind: 'bucket'; key: BucketKey; bucket: IBucket };

export interface FunctionWiringProps {
  readonly settings: Settings;
  readonly plan: DeploymentPlan;
  readonly tables: Readonly<Record<TableKey, ServiceTable>>;
  readonly secrets: Readonly<Partial<Record<SecretName, ISecret>>>;
}

/**
 * Creates every function of the stack from its manifest entry (functions/manifest/), HTTP or not,
 * and is the one place that sets a function's variables and grants it access: its settings
 * groups' and single variables, then its tables, secrets, queues, buses and objects, each with
 * the variable that names it in the same call (ServiceFunction's `use…`).
 *
 * A resource made after the function that uses it (the message queue, created with its worker
 * after the send route) is connected when the stack hands it over with {@link provide};
 * {@link assertComplete} then proves no function waits for one.
 */
export class FunctionWiring {
  private readonly computed: Partial<Record<ComputedVariable, string>> = {};
  private readonly provided: Resource[] = [];
  private readonly created: Array<{ fn: ServiceFunction; definition: FunctionDefinition }> = [];

  constructor(private readonly props: FunctionWiringProps) {}

  /** Gives a computed variable its value, before any function that reads it is created. */
  compute(name: ComputedVariable, value: string): void {
    this.computed[name] = value;
  }

  /**
   * The function of `definition`, in `scope` under `id` (its logical IDs), with its variables and
   * grants. `deadLetterQueue`: where an asynchronously invoked function's failed events go.
   */
  create(
    scope: Construct,
    id: string,
    definition: RouteDefinition | EventFunctionDefinition | FunctionDefinition,
    options: { deadLetterQueue?: IQueue } = {},
  ): ServiceFunction {
    const { settings } = this.props;
    const missing = COMPUTED.filter(
      (name) => this.computed[name] === undefined && variablesOf(definition).includes(name),
    );
    if (missing.length > 0)
      throw new Error(
        `${definition.handler} reads ${missing.join(', ')}, which the stack has not computed yet.`,
      );
    const sizing = { ...DEFAULT_SIZING, ...definition.sizing };
    const fn = new ServiceFunction(scope, id, {
      entry: handlerEntry(definition.handler),
      description: `line-id-link ${describe(definition)}`,
      memorySize: sizing.memoryMb,
      timeout: Duration.seconds(sizing.timeoutSeconds),
      environment: {
        POWERTOOLS_SERVICE_NAME: settings.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: settings.logLevel,
        ...environmentFor(settings, {
          groups: definition.settings,
          variables: definition.variables,
          overrides: this.computed,
          common: definition.commonVariables !== false,
        }),
      },
      logRetention: settings.logRetention,
      deadLetterQueue: options.deadLetterQueue,
      tracing: settings.operations?.tracing ?? true,
    });
    for (const { table, actions } of definition.tables) fn.useTable(this.props.tables[table], actions);
    // A secret the settings make unused (the company API's client secret with an API key, and the
    // other way round) is neither created nor granted.
    for (const name of definition.secrets) {
      const secret = this.props.secrets[name];
      if (this.props.plan.secrets.includes(name) && secret) fn.useSecret(name, secret);
    }
    this.created.push({ fn, definition });
    for (const resource of this.provided) connect(fn, definition, resource);
    return fn;
  }

  /** Hands over a resource: every function created so far whose entry names it is connected. */
  provide(resource: Resource): void {
    this.provided.push(resource);
    for (const { fn, definition } of this.created) connect(fn, definition, resource);
  }

  /** Throws naming each function whose entry names a resource the stack never provided. */
  assertComplete(): void {
    const has = (kind: Resource['kind'], key: string) =>
      this.provided.some((r) => r.kind === kind && r.key === key);
    const problems = this.created.flatMap(({ definition: d }) => [
      ...(d.queues ?? []).filter((key) => !has('queue', key)).map((key) => `${d.handler}: queue ${key}`),
      ...(d.eventBuses ?? [])
        .filter((key) => !has('event-bus', key))
        .map((key) => `${d.handler}: bus ${key}`),
      ...(d.objects ?? [])
        .filter(({ bucket }) => !has('bucket', bucket))
        .map(({ bucket }) => `${d.handler}: bucket ${bucket}`),
    ]);
    if (problems.length > 0)
      throw new Error(`Resources named by the manifest but never made: ${problems.join('; ')}.`);
  }
}

function connect(fn: ServiceFunction, definition: FunctionDefinition, resource: Resource): void {
  switch (resource.kind) {
    case 'queue':
      if (definition.queues?.includes(resource.key)) fn.useQueue(QUEUES[resource.key].envVar, resource.queue);
      return;
    case 'event-bus':
      if (definition.eventBuses?.includes(resource.key))
        fn.useEventBus(EVENT_BUSES[resource.key].envVar, resource.bus);
      return;
    case 'bucket':
      for (const { bucket, prefix } of definition.objects ?? [])
        if (bucket === resource.key) fn.useObjects(BUCKETS[bucket].envVar, resource.bucket, prefix);
      return;
  }
}

/** Every variable a function's entry names, through its groups or singly. */
function variablesOf(definition: FunctionDefinition): readonly string[] {
  return [
    ...definition.settings.flatMap((group) => SETTINGS_GROUPS[group].variables),
    ...(definition.variables ?? []),
  ];
}

/** The function as the console describes it: its route key, or what its entry says it does. */
function describe(definition: FunctionDefinition): string {
  if ('method' in definition)
    return `${(definition as RouteDefinition).method} ${(definition as RouteDefinition).path}`;
  if ('description' in definition) return (definition as EventFunctionDefinition).description;
  return '$default';
}
