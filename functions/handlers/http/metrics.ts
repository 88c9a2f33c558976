import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Business metrics (Powertools Metrics, CloudWatch embedded metric format), one per execution
 * environment. The namespace comes from POWERTOOLS_METRICS_NAMESPACE (the API stack sets it; the
 * dashboard graphs these names); POWERTOOLS_DEV or POWERTOOLS_METRICS_DISABLED turn them off
 * locally.
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'LineIdLink',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'line-id-link',
});

/** The metrics the dashboard and alarms know. */
export type BusinessMetric =
  | 'LinksCreated'
  | 'LinkConflicts'
  | 'RejectedTokens'
  | 'Lockouts'
  // Messaging API webhook: requests refused for their signature, and friendship changes applied.
  | 'WebhookSignatureRejected'
  | 'FriendshipUpdates';

/** Which refusal counts as which business metric (by stable error code). */
const METRIC_BY_CODE: Readonly<Record<string, BusinessMetric>> = {
  'line-user-already-linked': 'LinkConflicts',
  'company-user-already-linked': 'LinkConflicts',
  'invalid-line-token': 'RejectedTokens',
  'invalid-company-token': 'RejectedTokens',
  'too-many-attempts': 'Lockouts',
  'invalid-webhook-signature': 'WebhookSignatureRejected',
};

/** Counts one event and publishes it at once (one EMF line), so no invocation loses it. */
export function countMetric(name: BusinessMetric): void {
  metrics.addMetric(name, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/** Counts a refusal if its code is one of the business metrics. */
export function countRefusal(code: string): void {
  const name = METRIC_BY_CODE[code];
  if (name) countMetric(name);
}
