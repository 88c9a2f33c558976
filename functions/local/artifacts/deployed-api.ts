import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { createGatewayListener, type GatewayRoute } from '../api-gateway-adapter.js';
import { freePort, localClient } from '../dynamodb-local.js';
import { startLocalServer, type LocalServer, type RequestLogEntry } from '../local-server.js';
import type { LocalIamCredentials } from '../sigv4.js';
import { functionCredentials, startAwsEndpoint, type AwsEndpoint } from './aws-endpoint.js';
import { createDeployedTables, readDeployedApp } from './cloud-assembly.js';
import {
  onFailureRecord,
  startQueuePoller,
  startStreamPoller,
  type EventSourcePoller,
} from './event-sources.js';
import { createFunctionHost, type FunctionHost } from './function-host.js';
import { checkCalls, type IamReport } from './iam-check.js';
import type { DeployedApp, DeployedFunction, LocalNaming, RecordedCall } from './types.js';

/**
 * Variables the mode adds to every function besides the template's: where the local AWS endpoint
 * is (the SDK reads AWS_ENDPOINT_URL for every service) and the function's own credentials, which
 * Lambda would take from its role.
 */
export const ENDPOINT_VARIABLES = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

/** Options of {@link startDeployedApi}. */
export interface DeployedApiOptions {
  /** The cloud assembly (`cdk.out`). */
  outdir: string;
  naming: LocalNaming;
  /** DynamoDB Local, where the template's tables are created. */
  dynamodbEndpoint: string;
  /**
   * Values that replace what the template gives a function (emulator URLs, a suite's channel):
   * a name the template does not set for a function is never added to it, so a variable the
   * template forgets stays missing here as it would in AWS. A function is read at each
   * function's first invocation (its cold start).
   */
  overlay?: Record<string, string> | (() => Record<string, string>);
  /**
   * The secrets' values by setting name (`LINE_CHANNEL_SECRET`): a function given
   * `LINE_CHANNEL_SECRET_ARN` reads this value from the local Secrets Manager (read at each
   * GetSecretValue, so a value set after the start is served; a function gives the current map).
   */
  secretValues: Record<string, string | undefined> | (() => Record<string, string | undefined>);
  /** Credentials the AWS_IAM routes accept (SigV4); without them such routes refuse every request. */
  iam?: LocalIamCredentials;
  port?: number;
  host?: string;
  /** Serves extra, non-API paths first (the demo page); returns true when it answered. */
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  onRequest?: (entry: RequestLogEntry) => void;
  /** Each line a function writes (its logs); dropped when absent. */
  onLog?: (line: string, fn: DeployedFunction) => void;
  /** The queues' clock (aws-endpoint.ts `now`): a test moves it past a visibility timeout. */
  now?: () => Date;
}

/** The HTTP API served from the assembly, and what stands in for AWS around it. */
export interface DeployedApi {
  api: LocalServer;
  app: DeployedApp;
  endpoint: AwsEndpoint;
  /** The functions' hosts, made at each function's first invocation. */
  hosts: ReadonlyMap<string, FunctionHost>;
  /** The environment a function gets: its template's, the overlay, the endpoint variables. */
  environmentOf(fn: DeployedFunction): Record<string, string>;
  /** `NAME=value` of every overlay value that replaced a template value, and the endpoint variables. */
  overlayApplied: string[];
  /** Waits until the stream and queue mappings delivered everything written so far. */
  drain(): Promise<void>;
  /**
   * Every AWS call so far checked against the calling function's role policies; the grants of
   * the functions the mode runs (behind a route or an event source mapping) that no call used.
   */
  iamReport(): Promise<IamReport>;
  close(): Promise<void>;
}

/**
 * Serves the HTTP API from a cloud assembly as `cdk deploy` would deploy it: routes,
 * integrations and authorizers from the template's `AWS::ApiGatewayV2::*` resources, each route
 * invoking its function's own asset bundle (handler, runtime, timeout and environment from the
 * template) in environments of its own, the template's tables in DynamoDB Local, the links
 * stream and the message queue delivered through their event source mappings, and every AWS call
 * signed with the calling function's credentials and recorded at the local AWS endpoint.
 */
export async function startDeployedApi(options: DeployedApiOptions): Promise<DeployedApi> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of [...stops].reverse()) await stop().catch(() => undefined);
  };
  try {
    // The endpoint's URL is part of the queue URLs the functions are given: pick its port first.
    const endpointPort = await freePort();
    const endpointUrl = `http://127.0.0.1:${endpointPort}`;
    const app = readDeployedApp(options.outdir, options.naming, { queueUrlBase: endpointUrl });

    const dynamodb = localClient(options.dynamodbEndpoint);
    stops.push(async () => dynamodb.destroy());
    await createDeployedTables(dynamodb, app.tables);

    const credentials = functionCredentials(app.functions.map((fn) => fn.logicalId));
    const endpoint = await startAwsEndpoint({
      port: endpointPort,
      region: app.environment.region,
      account: app.environment.account,
      partition: app.environment.partition,
      dynamodbEndpoint: options.dynamodbEndpoint,
      credentials,
      secrets: () =>
        secretsOf(
          app,
          typeof options.secretValues === 'function' ? options.secretValues() : options.secretValues,
        ),
      queues: app.queues,
      buses: app.buses,
      tables: app.tables,
      now: options.now,
    });
    stops.push(() => endpoint.close());

    const overlayApplied = new Set<string>(ENDPOINT_VARIABLES.map((name) => `${name}=(per function)`));
    // CDK's own inline custom-resource code has no asset: nothing of ours to run.
    const bundled = new Map(app.functions.filter((fn) => fn.assetDir).map((fn) => [fn.logicalId, fn]));
    const environmentOf = (fn: DeployedFunction): Record<string, string> => {
      const environment = { ...fn.environment };
      const overlay = typeof options.overlay === 'function' ? options.overlay() : (options.overlay ?? {});
      for (const [name, value] of Object.entries(overlay)) {
        if (name in environment && environment[name] !== value) {
          environment[name] = value;
          overlayApplied.add(`${name}=${value}`);
        }
      }
      const own = endpoint.credentialsFor(fn.logicalId);
      return {
        ...environment,
        AWS_ENDPOINT_URL: endpoint.url,
        AWS_ACCESS_KEY_ID: own.accessKeyId,
        AWS_SECRET_ACCESS_KEY: own.secretAccessKey,
      };
    };
    for (const fn of bundled.values()) environmentOf(fn);
    // A function's host, and so its environment, is made at its first invocation: the overlay is
    // read then, as a Lambda function reads its configuration at its cold start.
    const hosts = new Map<string, FunctionHost>();
    const functionOf = (logicalId: string) => {
      const fn = bundled.get(logicalId);
      if (!fn) throw new Error(`The template wires ${logicalId}, which has no bundle to run.`);
      return fn;
    };
    const hostOf = (logicalId: string) => {
      let host = hosts.get(logicalId);
      if (!host) {
        const fn = functionOf(logicalId);
        host = createFunctionHost(fn, {
          environment: environmentOf(fn),
          region: app.environment.region,
          account: app.environment.account,
          onLog: options.onLog,
        });
        hosts.set(logicalId, host);
      }
      return host;
    };
    const targetOf = (logicalId: string) => {
      functionOf(logicalId);
      return { invoke: (event: unknown) => hostOf(logicalId).invoke(event) };
    };

    const pollers: EventSourcePoller[] = [];
    const streams = new DynamoDBStreamsClient({
      endpoint: options.dynamodbEndpoint,
      region: app.environment.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    stops.push(async () => streams.destroy());
    for (const mapping of app.eventSources) {
      const target = targetOf(mapping.functionLogicalId);
      if (mapping.source.kind === 'dynamodb-stream') {
        const { tableLogicalId } = mapping.source;
        const table = app.tables.find((t) => t.logicalId === tableLogicalId)!;
        pollers.push(
          await startStreamPoller({
            dynamodb,
            streams,
            tableName: table.name,
            mapping,
            eventSourceArn: table.streamArn ?? `${table.arn}/stream`,
            region: app.environment.region,
            target,
            maxRetries: mapping.maximumRetryAttempts,
            onDiscard: (batch) => {
              // SQS destinations are served; an SNS topic or none leaves the batch discarded.
              const destination = app.queues.find((q) => q.arn === mapping.onFailureDestinationArn)?.arn;
              if (!destination) return;
              const fn = functionOf(mapping.functionLogicalId);
              const at = options.now?.() ?? new Date();
              endpoint.sendOnBehalfOf(
                fn.logicalId,
                destination,
                JSON.stringify(onFailureRecord(batch, fn.arn, at)),
              );
            },
          }),
        );
      } else {
        const { queueLogicalId } = mapping.source;
        const queue = app.queues.find((q) => q.logicalId === queueLogicalId)!;
        pollers.push(
          startQueuePoller({
            mapping,
            target,
            queue: {
              receive: (max) => endpoint.receiveMessages(queue.arn, max),
              delete: (handles) => endpoint.deleteMessages(queue.arn, handles),
            },
          }),
        );
      }
    }
    stops.push(async () => {
      for (const poller of pollers) await poller.close();
    });
    // Stopped first (stops run in reverse): ending the environments ends any invocation a
    // poller still waits for, so the pollers then stop at once.
    stops.push(async () => {
      for (const host of hosts.values()) await host.close();
    });

    const route = (routeKey: string, logicalId: string, authorization: GatewayRoute['authorization']) => {
      const fn = functionOf(logicalId);
      return {
        routeKey,
        authorization,
        functionName: fn.name,
        invoke: async (event: unknown, context: { awsRequestId: string }) => {
          const outcome = await hostOf(logicalId).invoke(event, { requestId: context.awsRequestId });
          if (!outcome.ok) throw new Error(`${fn.path}: ${outcome.errorType}: ${outcome.errorMessage}`);
          return outcome.result;
        },
      } satisfies GatewayRoute;
    };
    // The functions this mode runs: behind a route or an event source mapping. The others (CDK's
    // deploy-time custom resources, the S3-triggered member import) never run here, so their
    // grants are not in the IAM report.
    const served = new Set([
      ...app.httpApi.routes.map((r) => r.functionLogicalId),
      ...app.eventSources.map((mapping) => mapping.functionLogicalId),
    ]);
    const fallback = app.httpApi.routes.find((r) => r.routeKey === '$default');
    if (!fallback) throw new Error('The HTTP API of the assembly has no $default route.');
    const cors = app.httpApi.cors;
    const listener = createGatewayListener({
      routes: app.httpApi.routes
        .filter((r) => r.routeKey !== '$default')
        .map((r) => route(r.routeKey, r.functionLogicalId, r.authorizationType)),
      fallback: route('$default', fallback.functionLogicalId, fallback.authorizationType),
      cors: cors && { ...cors, maxAgeSeconds: cors.maxAge },
      iam: options.iam,
    });
    const api = await startLocalServer({
      port: options.port,
      host: options.host,
      listener,
      extra: options.extra,
      onRequest: options.onRequest,
    });
    stops.push(() => api.close());

    return {
      api,
      app,
      endpoint,
      hosts,
      environmentOf,
      overlayApplied: [...overlayApplied].sort(),
      drain: async () => {
        for (const poller of pollers) await poller.drain();
      },
      iamReport: () =>
        checkCalls(
          [...pollerCalls(app), ...endpoint.calls()],
          app.functions.filter((fn) => served.has(fn.logicalId)),
          app.environment,
          { polled: app.eventSources.map((mapping) => mapping.functionLogicalId) },
        ),
      close: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The calls Lambda's pollers make with a mapped function's role: reading its stream
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#events-dynamodb-permissions) or
 * receiving from its queue (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions).
 * Lambda refuses to create a mapping whose role lacks them, so they are checked like the
 * function's own calls.
 */
function pollerCalls(app: DeployedApp): RecordedCall[] {
  return app.eventSources.flatMap((mapping) => {
    const functionLogicalId = mapping.functionLogicalId;
    if (mapping.source.kind === 'dynamodb-stream') {
      const { tableLogicalId } = mapping.source;
      const stream = app.tables.find((t) => t.logicalId === tableLogicalId)?.streamArn ?? '';
      return [
        ...['DescribeStream', 'GetShardIterator', 'GetRecords'].map((action) => ({
          functionLogicalId,
          action: `dynamodb:${action}`,
          resource: stream,
        })),
        { functionLogicalId, action: 'dynamodb:ListStreams', resource: '*' },
      ];
    }
    const { queueLogicalId } = mapping.source;
    const queue = app.queues.find((q) => q.logicalId === queueLogicalId)?.arn ?? '';
    return ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'].map((action) => ({
      functionLogicalId,
      action: `sqs:${action}`,
      resource: queue,
    }));
  });
}

/**
 * The local Secrets Manager's content: each secret the functions name (`X_ARN`) with the value
 * of setting `X`. A secret without a value is left out, so reading it fails as it would in AWS.
 */
function secretsOf(
  app: DeployedApp,
  values: Record<string, string | undefined>,
): Array<{ arn: string; name: string; value: string }> {
  const found = new Map<string, { arn: string; name: string; value: string }>();
  for (const fn of app.functions) {
    for (const [variable, arn] of Object.entries(fn.environment)) {
      const secret = app.secrets.find((s) => s.arn === arn);
      const value = variable.endsWith('_ARN') ? values[variable.slice(0, -'_ARN'.length)] : undefined;
      if (secret && value !== undefined) found.set(arn, { arn, name: secret.name, value });
    }
  }
  return [...found.values()];
}
