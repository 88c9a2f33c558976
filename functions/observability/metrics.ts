import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricsSettings, type MetricsSettings } from './settings.js';

/**
 * Business metrics (Powertools Metrics, CloudWatch embedded metric format), one per execution
 * environment, published as the composition root configured them (settings.ts
 * `configureMetrics`): a handler built without one (a unit test) counts nothing.
 */
let current: { settings: MetricsSettings; metrics: Metrics } | undefined;

/** The Metrics of the configured settings (made on first use, and again when reconfigured). */
function configuredMetrics(): Metrics | undefined {
  const settings = metricsSettings();
  if (!settings?.metricsEnabled) return undefined;
  if (current?.settings !== settings) {
    current = {
      settings,
      metrics: new Metrics({ namespace: settings.metricsNamespace, serviceName: settings.serviceName }),
    };
  }
  return current.metrics;
}

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
  | 'MessageBatchFailures'
  // The rich menu stream function: menus switched, switches LINE refused for good (audited),
  // switches retried (their batch is retried from them), records that can never be read.
  | 'RichMenusSwitched'
  | 'RichMenuSwitchesRefused'
  | 'RichMenuSwitchesRetried'
  | 'RichMenuStreamRecordsSkipped'
  // Audience job runs that failed (the queue delivers them again) or that LINE refused for good.
  | 'AudienceJobFailures';

/** Counts one event and publishes it at once (one EMF line), so no invocation loses it. */
export function countMetric(name: BusinessMetric): void {
  const metrics = configuredMetrics();
  if (!metrics) return;
  metrics.addMetric(name, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
