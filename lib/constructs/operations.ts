import { Duration, Validations } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ServiceTable } from './service-table.js';

/**
 * Business metrics the handlers emit with Powertools Metrics (namespace from
 * POWERTOOLS_METRICS_NAMESPACE, unit Count); the dashboard graphs each one summed over whatever
 * dimensions the handlers add.
 */
export const BUSINESS_METRICS = {
  LinksCreated: 'new links (any method)',
  LinkConflicts: 'links refused with 409 (one side already linked elsewhere)',
  RejectedTokens: 'LINE or company tokens that failed verification',
  Lockouts: 'attempts refused because a member, LINE user or client address is locked out',
  GlobalAttemptThreshold:
    'failed member-data attempts while service-wide failures are over ATTEMPTS_GLOBAL (answers slowed down)',
  WebhookSignatureRejected: 'LINE webhook calls refused for a missing or wrong X-Line-Signature',
  FriendshipUpdates: 'follow / unfollow events that changed whether a member is reachable',
  LinkEventsNotPublished: 'link events EventBridge did not take (their stream batch is retried from them)',
  LinkStreamRecordsSkipped: 'links stream records that could not be read (logged and skipped)',
  MessageBatchFailures: 'message job batches that failed (the queue delivers them again)',
  RichMenusSwitched: 'rich menus switched after a link was made or removed',
  RichMenuSwitchesRefused: 'rich menu switches LINE refused for good (audited as rich-menu-failed)',
  RichMenuSwitchesRetried:
    'rich menu switches LINE could not answer (their stream batch is retried from them)',
  RichMenuStreamRecordsSkipped: 'rich menu stream records that could not be read (logged and skipped)',
  AudienceJobFailures: 'audience job runs that failed (delivered again) or that LINE refused for good',
} as const;

/**
 * The signals of an attack, each alarmed when it spikes: more than `threshold` in one
 * five-minute period (summed over the service's functions). Rejected tokens mean forged,
 * replayed or other-channel tokens; lockouts mean guessing of member factors; rejected webhook
 * signatures mean someone other than LINE calling the webhook.
 */
export const SECURITY_ALARMS = {
  RejectedTokens: { threshold: 50, label: 'rejected LINE or company tokens' },
  Lockouts: { threshold: 10, label: 'attempt lockouts (factor guessing)' },
  WebhookSignatureRejected: { threshold: 10, label: 'webhook calls with a bad signature' },
} as const satisfies Partial<Record<keyof typeof BUSINESS_METRICS, { threshold: number; label: string }>>;

export interface OperationsProps {
  readonly api: IHttpApi;
  readonly functions: ReadonlyArray<{ readonly name: string; readonly function: IFunction }>;
  readonly tables: readonly ServiceTable[];
  readonly deadLetterQueues?: ReadonlyArray<{ readonly name: string; readonly queue: IQueue }>;
  readonly metricsNamespace: string;
  /** Powertools' `service` dimension of the business metrics (POWERTOOLS_SERVICE_NAME). */
  readonly serviceName?: string;
  /** Thresholds of the security alarms per five minutes (default {@link SECURITY_ALARMS}). */
  readonly securityAlarmThresholds?: Partial<Record<keyof typeof SECURITY_ALARMS, number>>;
  readonly dashboardName?: string;
  /** Subscribed to a new alarm topic. */
  readonly alarmEmail?: string;
  /** An existing topic for the alarms (takes precedence over alarmEmail). */
  readonly alarmTopicArn?: string;
}

const PERIOD = Duration.minutes(5);

/**
 * Alarms on what needs a human (API 5xx rate, function errors and throttles, DynamoDB throttling,
 * failed imports, spikes of rejected tokens, lockouts and bad webhook signatures), optionally sent to an SNS topic, and one dashboard with the same signals plus
 * the business metrics.
 */
export class Operations extends Construct {
  readonly alarms: Alarm[] = [];
  readonly topic?: ITopic;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    if (props.alarmTopicArn) {
      this.topic = Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    } else if (props.alarmEmail) {
      const topic = new Topic(this, 'AlarmTopic', { displayName: 'line-id-link alarms', enforceSSL: true });
      topic.addSubscription(new EmailSubscription(props.alarmEmail));
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry only alarm names and states, nothing sensitive; CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key, and a CMK only for this is not worth its upkeep.',
      });
      this.topic = topic;
    }

    // API: share of 5xx among requests, once there is enough traffic to speak of a rate.
    const requests = props.api.metricCount({ statistic: 'Sum', period: PERIOD });
    const serverErrors = props.api.metricServerError({ statistic: 'Sum', period: PERIOD });
    const clientErrors = props.api.metricClientError({ statistic: 'Sum', period: PERIOD });
    const errorRate = new MathExpression({
      expression: 'IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      label: '5xx rate (%)',
      period: PERIOD,
    });
    this.alarm('Api5xxRate', errorRate, {
      threshold: 5,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description:
        '5% or more of API requests answered 5xx in 2 of the last 3 five-minute periods (at 20 requests or more).',
    });

    for (const { name, function: fn } of props.functions) {
      this.alarm(`${name}Errors`, fn.metricErrors({ statistic: 'Sum', period: PERIOD }), {
        threshold: 1,
        description: `Function ${name} failed (crash, timeout or cold-start configuration error): handled errors are answers, not failures.`,
      });
      this.alarm(`${name}Throttles`, fn.metricThrottles({ statistic: 'Sum', period: PERIOD }), {
        threshold: 1,
        description: `Function ${name} was throttled (account or reserved concurrency exhausted).`,
      });
    }

    for (const table of props.tables) {
      this.alarm(`${table.node.id}Throttles`, this.tableThrottles(table), {
        threshold: 1,
        description: `DynamoDB throttled requests to the ${table.key} table.`,
      });
    }

    for (const { name, queue } of props.deadLetterQueues ?? []) {
      this.alarm(
        `${name}DeadLetters`,
        queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD }),
        {
          threshold: 1,
          description: `Events that ${name} failed to process after its retries are waiting in its dead-letter queue.`,
        },
      );
    }

    // Business metrics carry Powertools' default `service` dimension, which an alarm must name.
    for (const [metricName, spec] of Object.entries(SECURITY_ALARMS)) {
      const threshold =
        props.securityAlarmThresholds?.[metricName as keyof typeof SECURITY_ALARMS] ?? spec.threshold;
      this.alarm(
        `${metricName}Spike`,
        new Metric({
          namespace: props.metricsNamespace,
          metricName,
          dimensionsMap: { service: props.serviceName ?? 'line-id-link' },
          statistic: 'Sum',
          period: PERIOD,
        }),
        {
          threshold,
          description: `Spike of ${spec.label}: ${threshold} or more in five minutes, a sign of an attack.`,
        },
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(6),
    });
    const fnMetrics = (metric: (fn: IFunction) => IMetric) =>
      props.functions.map(({ function: fn }) => metric(fn));
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '# line-id-link', width: 24, height: 1 }),
      new GraphWidget({
        title: 'API requests and errors',
        left: [requests, clientErrors, serverErrors],
        right: [errorRate],
        width: 12,
      }),
      new GraphWidget({
        title: 'API latency (ms)',
        left: ['p50', 'p90', 'p99'].map((statistic) =>
          props.api.metricLatency({ statistic, period: PERIOD, label: `latency ${statistic}` }),
        ),
        right: [
          props.api.metricIntegrationLatency({ statistic: 'p99', period: PERIOD, label: 'integration p99' }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Links and refusals (business metrics)',
        left: Object.keys(BUSINESS_METRICS).map(
          (metricName) =>
            new MathExpression({
              expression: `SUM(SEARCH('Namespace="${props.metricsNamespace}" MetricName="${metricName}"', 'Sum', 300))`,
              label: metricName,
              period: PERIOD,
            }),
        ),
        width: 24,
      }),
      new GraphWidget({
        title: 'Function errors',
        left: fnMetrics((fn) => fn.metricErrors({ statistic: 'Sum', period: PERIOD })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Function throttles',
        left: fnMetrics((fn) => fn.metricThrottles({ statistic: 'Sum', period: PERIOD })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Function duration p99 (ms)',
        left: fnMetrics((fn) => fn.metricDuration({ statistic: 'p99', period: PERIOD })),
        width: 8,
      }),
      new GraphWidget({
        title: 'DynamoDB consumed capacity',
        left: props.tables.map((t) =>
          t.table.metricConsumedReadCapacityUnits({
            statistic: 'Sum',
            period: PERIOD,
            label: `${t.key} read`,
          }),
        ),
        right: props.tables.map((t) =>
          t.table.metricConsumedWriteCapacityUnits({
            statistic: 'Sum',
            period: PERIOD,
            label: `${t.key} write`,
          }),
        ),
        width: 12,
      }),
      new GraphWidget({
        title: 'DynamoDB throttles',
        left: props.tables.map((t) => this.tableThrottles(t)),
        width: 12,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
  }

  private tableThrottles(table: ServiceTable): MathExpression {
    const metric = (name: string) => table.table.metric(name, { statistic: 'Sum', period: PERIOD });
    return new MathExpression({
      // Ids are unique per table: one graph shows every table's expression.
      expression: `FILL(${table.key}Reads, 0) + FILL(${table.key}Writes, 0)`,
      usingMetrics: {
        [`${table.key}Reads`]: metric('ReadThrottleEvents'),
        [`${table.key}Writes`]: metric('WriteThrottleEvents'),
      },
      label: `${table.key} throttled`,
      period: PERIOD,
    });
  }

  private alarm(
    id: string,
    metric: IMetric,
    options: {
      threshold: number;
      description: string;
      evaluationPeriods?: number;
      datapointsToAlarm?: number;
    },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      datapointsToAlarm: options.datapointsToAlarm,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    if (this.topic) {
      alarm.addAlarmAction(new SnsAction(this.topic));
      alarm.addOkAction(new SnsAction(this.topic));
    }
    this.alarms.push(alarm);
    return alarm;
  }
}
