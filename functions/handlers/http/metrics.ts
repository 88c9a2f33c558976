import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { loadObservability } from '../../config.js';
import { errorTreatment, type BusinessMetric } from './error-table.js';

// Declared beside the error table, which names a metric per code (no import cycle).
export type { BusinessMetric };

/**
 * Business metrics (Powertools Metrics, CloudWatch embedded metric format), one per execution
 * environment. The namespace comes from POWERTOOLS_METRICS_NAMESPACE (the API stack sets it; the
 * dashboard graphs these names); POWERTOOLS_DEV or POWERTOOLS_METRICS_DISABLED turn them off
 * locally.
 */
const observability = loadObservability();
export const metrics = new Metrics({
  namespace: observability.metricsNamespace,
  serviceName: observability.serviceName,
});

/** Counts one event and publishes it at once (one EMF line), so no invocation loses it. */
export function countMetric(name: BusinessMetric): void {
  metrics.addMetric(name, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/** Counts a refusal if the error table gives its code a business metric. */
export function countRefusal(code: string): void {
  const name = errorTreatment(code)?.metric;
  if (name) countMetric(name);
}
