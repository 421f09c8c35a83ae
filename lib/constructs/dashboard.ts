import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PipelineFunctions } from './alarms.js';

export interface DeliveryDashboardProps {
  /** The pipeline's own metric `metricName` (namespace Webhooks, this instance's service), Sum per minute unless told. */
  readonly metric: (metricName: string, options?: cloudwatch.MetricOptions) => cloudwatch.IMetric;
  readonly queues: { delivery: sqs.IQueue; deliveryDlq: sqs.IQueue; ingest: sqs.IQueue; ingestDlq: sqs.IQueue };
  readonly functions: PipelineFunctions;
  readonly stage: apigw.Stage;
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/** Widget titles, which the runbook refers to. */
export const WIDGETS = {
  alarms: 'Alarms',
  deliveries: 'Deliveries per minute',
  latency: 'Attempt latency (ms)',
  queueDepth: 'Queue depth (visible messages)',
  queueAge: 'Age of the oldest message (s)',
  waiting: 'Deliveries waiting for a retry (in flight)',
  errors: 'Function errors',
  throttles: 'Function throttles',
  concurrency: 'Function concurrency (max)',
  coldStarts: 'Cold starts',
  apiRequests: 'API requests, 4xx and 5xx',
  apiLatency: 'API latency (ms)',
} as const;

const MINUTE = Duration.minutes(1);

/**
 * One CloudWatch dashboard per pipeline: outcomes, attempt latency, the four queues, each
 * function's errors, throttles, concurrency and cold starts, and the API. No dashboard name:
 * CloudFormation generates one, so instances never clash.
 */
export class DeliveryDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DeliveryDashboardProps) {
    super(scope, id);
    const { queues, functions, stage } = props;
    const fns = Object.entries(functions) as [keyof PipelineFunctions, PipelineFunctions[keyof PipelineFunctions]][];
    const queueList: [string, sqs.IQueue][] = [
      ['delivery', queues.delivery],
      ['delivery DLQ', queues.deliveryDlq],
      ['ingest', queues.ingest],
      ['ingest DLQ', queues.ingestDlq],
    ];
    const graph = (title: string, left: cloudwatch.IMetric[], width = 12) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6, period: MINUTE });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: WIDGETS.alarms, alarms: [...props.alarms], width: 24, height: 3 })],
        [
          graph(
            WIDGETS.deliveries,
            (['DeliverySucceeded', 'DeliveryRetried', 'DeliveryDeadLettered', 'DeliverySkipped'] as const).map((m) =>
              props.metric(m, { label: m.replace('Delivery', '').toLowerCase() }),
            ),
          ),
          graph(WIDGETS.latency, [
            props.metric('AttemptLatency', { statistic: cloudwatch.Stats.p(50), label: 'p50' }),
            props.metric('AttemptLatency', { statistic: cloudwatch.Stats.p(99), label: 'p99' }),
          ]),
        ],
        [
          graph(
            WIDGETS.queueDepth,
            queueList.map(([label, q]) =>
              q.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: cloudwatch.Stats.MAXIMUM, label }),
            ),
            8,
          ),
          graph(
            WIDGETS.queueAge,
            queueList.map(([label, q]) =>
              q.metricApproximateAgeOfOldestMessage({ period: MINUTE, statistic: cloudwatch.Stats.MAXIMUM, label }),
            ),
            8,
          ),
          graph(
            WIDGETS.waiting,
            [
              queues.delivery.metricApproximateNumberOfMessagesNotVisible({
                period: MINUTE,
                statistic: cloudwatch.Stats.MAXIMUM,
                label: 'delivery',
              }),
            ],
            8,
          ),
        ],
        [
          graph(
            WIDGETS.errors,
            fns.map(([label, fn]) => fn.metricErrors({ period: MINUTE, statistic: cloudwatch.Stats.SUM, label })),
            6,
          ),
          graph(
            WIDGETS.throttles,
            fns.map(([label, fn]) => fn.metricThrottles({ period: MINUTE, statistic: cloudwatch.Stats.SUM, label })),
            6,
          ),
          graph(
            WIDGETS.concurrency,
            fns.map(([label, fn]) => fn.metric('ConcurrentExecutions', { period: MINUTE, statistic: cloudwatch.Stats.MAXIMUM, label })),
            6,
          ),
          graph(
            WIDGETS.coldStarts,
            // Powertools Metrics writes ColdStart with the function's name as a dimension.
            fns.map(([label, fn]) => props.metric('ColdStart', { dimensionsMap: { function_name: fn.functionName }, label })),
            6,
          ),
        ],
        [
          graph(WIDGETS.apiRequests, [
            stage.metricCount({ period: MINUTE, statistic: cloudwatch.Stats.SUM, label: 'requests' }),
            stage.metricClientError({ period: MINUTE, statistic: cloudwatch.Stats.SUM, label: '4xx' }),
            stage.metricServerError({ period: MINUTE, statistic: cloudwatch.Stats.SUM, label: '5xx' }),
          ]),
          graph(WIDGETS.apiLatency, [
            stage.metricLatency({ period: MINUTE, statistic: cloudwatch.Stats.p(50), label: 'p50' }),
            stage.metricLatency({ period: MINUTE, statistic: cloudwatch.Stats.p(99), label: 'p99' }),
          ]),
        ],
      ],
    });
  }
}
