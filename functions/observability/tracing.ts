import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import { tracingSettings, type TracingSettings } from './settings.js';

/**
 * X-Ray tracing with Powertools Tracer: a subsegment per invocation (cold start and service
 * annotated), one per AWS SDK call of the clients passed to {@link traceAwsClient}, and one per
 * outbound `fetch` (LINE, the company IdP and API).
 *
 * Tracing is off until the Lambda composition root turns it on (settings.ts
 * `configureTracing`, from functions/config.ts `loadTracingConfig`: in Lambda, unless
 * TRACING_ENABLED=false); outside Lambda there is no X-Ray daemon and nothing of it is loaded.
 * The tracer (and the X-Ray SDK under it, the heaviest module a function would otherwise load)
 * is imported as soon as a handler's chain or a traced client is built, so its import overlaps
 * the rest of the cold start. Responses are never recorded in
 * traces: they carry user IDs and, for the web flow, redirects with state.
 */

type Loaded = { tracer: Tracer; middleware: MiddlewareObj } | undefined;

let loading: { settings: TracingSettings; tracer: Promise<Loaded> } | undefined;
let loaded: Loaded;
const untracedClients: unknown[] = [];

/** Loads the tracer once per execution environment when tracing is on. */
export function loadTracer(): Promise<Loaded> {
  const settings = tracingSettings();
  // A load that found tracing off is forgotten when a composition root turns it on.
  if (loading?.settings !== settings && !loaded) loading = undefined;
  loading ??= { settings, tracer: load(settings) };
  return loading.tracer;
}

async function load(settings: TracingSettings): Promise<Loaded> {
  if (!settings.enabled) return undefined;
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  const tracer = new Tracer({ serviceName: settings.serviceName, enabled: true });
  for (const client of untracedClients.splice(0)) tracer.captureAWSv3Client(client);
  loaded = {
    tracer,
    middleware: captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj,
  };
  return loaded;
}

/**
 * Traces an AWS SDK v3 client's calls (a DynamoDB document client shares its client's stack).
 * Before the tracer has loaded the client is remembered, and captured when it does, which is
 * always before the first invocation runs (see {@link tracing}).
 */
export function traceAwsClient<T>(client: T): T {
  if (!tracingSettings().enabled) return client;
  if (loaded) return loaded.tracer.captureAWSv3Client(client);
  untracedClients.push(client);
  void loadTracer();
  return client;
}

/**
 * The first middleware of every function: waits for the tracer (a no-op when tracing is off)
 * and runs Powertools' `captureLambdaHandler` around everything after it.
 */
export function tracing(): MiddlewareObj {
  void loadTracer();
  let middleware: MiddlewareObj | undefined;
  return {
    before: async (request) => {
      middleware = (await loadTracer())?.middleware;
      await middleware?.before?.(request);
    },
    after: async (request) => {
      await middleware?.after?.(request);
    },
    onError: async (request) => {
      await middleware?.onError?.(request);
    },
  };
}
