import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { createGatewayListener, type GatewayRoute } from '../api-gateway-adapter.js';
import { freePort, localClient } from '../dynamodb-local.js';
import { startLocalServer, type LocalServer, type RequestLogEntry } from '../local-server.js';
import type { LocalIamCredentials } from '../sigv4.js';
import { functionCredentials, startAwsEndpoint, type AwsEndpoint } from './aws-endpoint.js';
import { createDeployedTables, readDeployedApp } from './cloud-assembly.js';
import { startQueuePoller, startStreamPoller, type EventSourcePoller } from './event-sources.js';
import { createFunctionHost, type FunctionHost } from './function-host.js';
import { checkCalls, type IamReport } from './iam-check.js';
import type { DeployedApp, DeployedFunction, LocalNaming } from './types.js';

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
   * template forgets stays missing here as it would in AWS.
   */
  overlay?: Record<string, string>;
  /**
   * The secrets' values by setting name (`LINE_CHANNEL_SECRET`): a function given
   * `LINE_CHANNEL_SECRET_ARN` reads this value from the local Secrets Manager.
   */
  secretValues: Record<string, string | undefined>;
  /** Credentials the AWS_IAM routes accept (SigV4); without them such routes refuse every request. */
  iam?: LocalIamCredentials;
  port?: number;
  host?: string;
  /** Serves extra, non-API paths first (the demo page); returns true when it answered. */
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  onRequest?: (entry: RequestLogEntry) => void;
  /** Each line a function writes (its logs); dropped when absent. */
  onLog?: (line: string, fn: DeployedFunction) => void;
}

/** The HTTP API served from the assembly, and what stands in for AWS around it. */
export interface DeployedApi {
  api: LocalServer;
  app: DeployedApp;
  endpoint: AwsEndpoint;
  hosts: ReadonlyMap<string, FunctionHost>;
  /** `NAME=value` of every overlay value that replaced a template value, and the endpoint variables. */
  overlayApplied: string[];
  /** Waits until the stream and queue mappings delivered everything written so far. */
  drain(): Promise<void>;
  /** Every AWS call so far checked against the calling function's role policies. */
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
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
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
      secrets: secretsOf(app, options.secretValues),
      queues: app.queues,
      buses: app.buses,
      tables: app.tables,
    });
    stops.push(() => endpoint.close());

    const overlayApplied = new Set<string>(ENDPOINT_VARIABLES.map((name) => `${name}=(per function)`));
    const hosts = new Map<string, FunctionHost>();
    for (const fn of app.functions) {
      if (!fn.assetDir) continue; // CDK's own inline custom-resource code: nothing of ours to run.
      const environment = { ...fn.environment };
      for (const [name, value] of Object.entries(options.overlay ?? {})) {
        if (name in environment && environment[name] !== value) {
          environment[name] = value;
          overlayApplied.add(`${name}=${value}`);
        }
      }
      const own = endpoint.credentialsFor(fn.logicalId);
      Object.assign(environment, {
        AWS_ENDPOINT_URL: endpoint.url,
        AWS_ACCESS_KEY_ID: own.accessKeyId,
        AWS_SECRET_ACCESS_KEY: own.secretAccessKey,
      });
      const host = createFunctionHost(fn, {
        environment,
        region: app.environment.region,
        account: app.environment.account,
        onLog: options.onLog,
      });
      hosts.set(fn.logicalId, host);
      stops.push(() => host.close());
    }
    const hostOf = (logicalId: string) => {
      const host = hosts.get(logicalId);
      if (!host) throw new Error(`The template wires ${logicalId}, which has no bundle to run.`);
      return host;
    };

    const pollers: EventSourcePoller[] = [];
    const streams = new DynamoDBStreamsClient({
      endpoint: options.dynamodbEndpoint,
      region: app.environment.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    stops.push(async () => streams.destroy());
    for (const mapping of app.eventSources) {
      const host = hostOf(mapping.functionLogicalId);
      if (mapping.source.kind === 'dynamodb-stream') {
        const { tableLogicalId } = mapping.source;
        const table = app.tables.find((t) => t.logicalId === tableLogicalId)!;
        pollers.push(
          await startStreamPoller({
            dynamodb,
            streams,
            tableName: table.name,
            mapping,
            eventSourceArn: `${table.arn}/stream/local`,
            region: app.environment.region,
            target: host,
          }),
        );
      } else {
        const { queueLogicalId } = mapping.source;
        const queue = app.queues.find((q) => q.logicalId === queueLogicalId)!;
        pollers.push(
          startQueuePoller({
            mapping,
            target: host,
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

    const route = (routeKey: string, logicalId: string, authorization: GatewayRoute['authorization']) => {
      const host = hostOf(logicalId);
      return {
        routeKey,
        authorization,
        functionName: host.fn.name,
        invoke: async (event: unknown, context: { awsRequestId: string }) => {
          const outcome = await host.invoke(event, { requestId: context.awsRequestId });
          if (!outcome.ok) throw new Error(`${host.fn.path}: ${outcome.errorType}: ${outcome.errorMessage}`);
          return outcome.result;
        },
      } satisfies GatewayRoute;
    };
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
      // API Gateway's own answer to a request its IAM authorization refuses; the function never runs.
      refuse: async () => ({
        statusCode: 403,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'Forbidden' }),
      }),
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
      overlayApplied: [...overlayApplied].sort(),
      drain: async () => {
        for (const poller of pollers) await poller.drain();
      },
      iamReport: () =>
        checkCalls(endpoint.calls(), app.functions, app.environment, {
          polled: app.eventSources.map((mapping) => mapping.functionLogicalId),
        }),
      close: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
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
