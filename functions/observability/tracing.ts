import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import { loadTracingConfig, type TracingConfig } from '../config.js';

/**
 * X-Ray tracing with Powertools Tracer: a subsegment per invocation (cold start and service
 * annotated), one per AWS SDK call of the clients passed to {@link traceAwsClient}, and one per
 * outbound `fetch` (LINE, the company IdP and API).
 *
 * The tracer (and the X-Ray SDK under it, the heaviest module a function would otherwise load)
 * is imported only when tracing is on, and its import starts as soon as a handler module loads,
 * so it overlaps the rest of the cold start. With tracing off (TRACING_ENABLED=false, or
 * outside Lambda) nothing of it is evaluated. Responses are never recorded in traces: they
 * carry user IDs and, for the web flow, redirects with state.
 */

type Loaded = { tracer: Tracer; middleware: MiddlewareObj } | undefined;

let loading: Promise<Loaded> | undefined;
let loaded: Loaded;
const untracedClients: unknown[] = [];

/** Loads the tracer once per execution environment when `config` says tracing is on. */
export function loadTracer(config: TracingConfig = loadTracingConfig()): Promise<Loaded> {
  loading ??= (async (): Promise<Loaded> => {
    if (!config.enabled) return undefined;
    const { Tracer } = await import('@aws-lambda-powertools/tracer');
    const tracer = new Tracer({ serviceName: config.serviceName, enabled: true });
    for (const client of untracedClients.splice(0)) tracer.captureAWSv3Client(client);
    loaded = {
      tracer,
      middleware: captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj,
    };
    return loaded;
  })();
  return loading;
}

/**
 * Traces an AWS SDK v3 client's calls (a DynamoDB document client shares its client's stack).
 * Before the tracer has loaded the client is remembered, and captured when it does, which is
 * always before the first invocation runs (see {@link tracing}).
 */
export function traceAwsClient<T>(client: T): T {
  if (!loadTracingConfig().enabled) return client;
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
  const ready = loadTracer();
  let middleware: MiddlewareObj | undefined;
  return {
    before: async (request) => {
      middleware = (await ready)?.middleware;
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
