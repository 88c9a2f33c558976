/**
 * How this execution environment observes itself, as its composition root configures it before
 * building its handler: business metrics and X-Ray tracing. Kept apart from metrics.ts and
 * tracing.ts, which load Powertools, so a function that counts or traces nothing does not bundle
 * them just to be configured.
 */

/** What the business metrics are published as (functions/config.ts `ObservabilityConfig`). */
export interface MetricsSettings {
  serviceName: string;
  /** The CloudWatch namespace (the API stack sets it; the dashboard graphs these names). */
  metricsNamespace: string;
  /** Off in Powertools' dev mode (`npm start`) or with POWERTOOLS_METRICS_DISABLED. */
  metricsEnabled: boolean;
}

/** Whether and under which service name the functions trace with X-Ray. */
export interface TracingSettings {
  enabled: boolean;
  serviceName: string;
}

let metrics: MetricsSettings | undefined;
let tracing: TracingSettings = { enabled: false, serviceName: '' };

/** Publishes the business metrics under `settings` from now on (none until a root configures them). */
export function configureMetrics(settings: MetricsSettings): void {
  metrics = settings;
}

/** The metrics settings metrics.ts follows; undefined: count nothing. */
export function metricsSettings(): MetricsSettings | undefined {
  return metrics;
}

/** Turns tracing on (or leaves it off); off until a root turns it on (only Lambda's does). */
export function configureTracing(settings: TracingSettings): void {
  tracing = settings;
}

/** The settings tracing.ts follows. */
export function tracingSettings(): TracingSettings {
  return tracing;
}
