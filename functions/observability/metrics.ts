import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { loadObservability } from '../config.js';

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

/** The metrics the dashboard and alarms know. */
export type BusinessMetric =
  | 'LinksCreated'
  | 'LinkConflicts'
  | 'RejectedTokens'
  | 'Lockouts'
  /** A failed member-data attempt while service-wide failures are over ATTEMPTS_GLOBAL. */
  | 'GlobalAttemptThreshold'
  // Messaging API webhook: requests refused for their signature, and friendship changes applied.
  | 'WebhookSignatureRejected'
  | 'FriendshipUpdates'
  // Webhook deliveries for another bot (`destination`), events ignored for their timestamp, and
  // the webhook worker's LINE work that LINE refused for good.
  | 'WebhookForeignDestination'
  | 'WebhookEventsIgnored'
  | 'WebhookWorkRefused'
  // The stream and queue functions: link events not published (their batch is retried from them),
  // stream records that can never be read (skipped), message job batches that failed (retried).
  | 'LinkEventsNotPublished'
  | 'LinkStreamRecordsSkipped'
  | 'MessageBatchFailures';

/** Counts one event and publishes it at once (one EMF line), so no invocation loses it. */
export function countMetric(name: BusinessMetric): void {
  metrics.addMetric(name, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
