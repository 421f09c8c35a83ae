import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IN_FLIGHT_PRESSURE_SHARE } from '../../functions/domain/parking.js';
import { AUTHORIZER_FAILED, IN_FLIGHT_ALARM_SHARE, type MetricName, type PipelineFunctions } from './alarms.js';

export interface DeliveryDashboardProps {
  /** The pipeline's own metric `metricName` (namespace Webhooks, this instance's service), Sum per minute unless told. */
  readonly metric: (metricName: string, options?: cloudwatch.MetricOptions) => cloudwatch.IMetric;
  readonly queues: { delivery: sqs.IQueue; deliveryDlq: sqs.IQueue; ingest: sqs.IQueue; ingestDlq: sqs.IQueue };
  readonly functions: PipelineFunctions;
  readonly stage: apigw.Stage;
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The delivery queue's in-flight budget (the construct's `inFlightBudget`). */
  readonly inFlightBudget: number;
  /** The resumer's log group: its `lot probed` lines say how many deliveries each open lot holds. */
  readonly resumerLogGroup: logs.ILogGroup;
  /** The inbound function's log group: its `inbound request refused` lines name the source and the reason. */
  readonly inboundLogGroup: logs.ILogGroup;
}

/** Widget titles, which the runbook refers to. */
export const WIDGETS = {
  alarms: 'Alarms',
  deliveries: 'Deliveries per minute',
  latency: 'Attempt latency (ms)',
  queueDepth: 'Queue depth (visible messages)',
  queueAge: 'Age of the oldest message (s)',
  waiting: 'Delivery queue in flight, against its budget',
  parked: 'Parked, held and resumed deliveries',
  lots: 'Lots: endpoints whose circuit opened',
  parkingAges: 'Oldest held delivery and resumer lag (s)',
  heldByEndpoint: 'Endpoints holding the most deliveries (last probe of each open lot)',
  errors: 'Function errors',
  throttles: 'Function throttles',
  concurrency: 'Function concurrency (max)',
  coldStarts: 'Cold starts',
  apiRequests: 'API requests, 4xx and 5xx',
  apiLatency: 'API latency (ms)',
  authorizer: 'Authorizer: refused credentials (401) and failures (500)',
  inbound: 'Inbound webhooks per minute',
  inboundRefusals: 'Inbound requests refused, by source and reason',
  operational: 'Operational events per minute (webhooks.operational on the bus)',
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
          new cloudwatch.GraphWidget({
            title: WIDGETS.waiting,
            left: [
              queues.delivery.metricApproximateNumberOfMessagesNotVisible({
                period: MINUTE,
                statistic: cloudwatch.Stats.MAXIMUM,
                label: 'delivery',
              }),
            ],
            // Where the sender starts parking short waits too, and where the alarm fires.
            leftAnnotations: [
              { value: Math.floor(props.inFlightBudget * IN_FLIGHT_PRESSURE_SHARE), label: 'sender parks all but short waits' },
              { value: Math.floor(props.inFlightBudget * IN_FLIGHT_ALARM_SHARE), label: 'alarm', color: cloudwatch.Color.RED },
            ],
            width: 8,
            height: 6,
            period: MINUTE,
          }),
        ],
        [
          graph(
            WIDGETS.parked,
            (['DeliveryParked', 'DeliveryHeld', 'DeliveriesResumed', 'DeliveryExpired'] as const).map((m) => props.metric(m, { label: m })),
            8,
          ),
          graph(
            WIDGETS.lots,
            (['LotOpened', 'LotProbes', 'LotRecovered'] as const).map((m) => props.metric(m, { label: m })),
            8,
          ),
          graph(
            WIDGETS.parkingAges,
            (['OldestHeldAgeSeconds', 'ResumeLagSeconds'] as const).map((m) =>
              props.metric(m, { statistic: cloudwatch.Stats.MAXIMUM, label: m }),
            ),
            8,
          ),
        ],
        [
          new cloudwatch.LogQueryWidget({
            title: WIDGETS.heldByEndpoint,
            logGroupNames: [props.resumerLogGroup.logGroupName],
            // One line per probe of an open lot (functions/app/resumer.ts): a metric per endpoint would cost $0.30 a month each.
            queryLines: [
              'filter message = "lot probed"',
              'stats latest(held) as held, min(openedTime) as since by tenantId, subscriptionId',
              'sort held desc',
              'limit 10',
            ],
            width: 24,
            height: 6,
          }),
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
          graph(
            WIDGETS.apiRequests,
            [
              stage.metricCount({ period: MINUTE, statistic: cloudwatch.Stats.SUM, label: 'requests' }),
              stage.metricClientError({ period: MINUTE, statistic: cloudwatch.Stats.SUM, label: '4xx' }),
              stage.metricServerError({ period: MINUTE, statistic: cloudwatch.Stats.SUM, label: '5xx' }),
            ],
            8,
          ),
          graph(
            WIDGETS.apiLatency,
            [
              stage.metricLatency({ period: MINUTE, statistic: cloudwatch.Stats.p(50), label: 'p50' }),
              stage.metricLatency({ period: MINUTE, statistic: cloudwatch.Stats.p(99), label: 'p99' }),
            ],
            8,
          ),
          // Lambda's Errors for the authorizer is the sum of both: this tells them apart.
          graph(
            WIDGETS.authorizer,
            [
              props.metric('AuthorizerRefused' satisfies MetricName, { label: 'refused (401)' }),
              props.metric(AUTHORIZER_FAILED, { label: 'failed (500)' }),
            ],
            8,
          ),
        ],
        [
          graph(
            WIDGETS.inbound,
            (
              [
                ['InboundAccepted', 'accepted'],
                ['InboundDuplicate', 'duplicate'],
                ['InboundForwarded', 'on the bus'],
                ['InboundRefused', 'refused (401)'],
                ['InboundUnknownSource', 'unknown source (404)'],
                ['InboundTooLarge', 'too large (413)'],
                ['InboundBusFailed', 'bus failed (kept for redrive)'],
                ['InboundStoreFailed', 'not stored (503)'],
              ] as const satisfies readonly (readonly [MetricName, string])[]
            ).map(([m, label]) => props.metric(m, { label })),
            12,
          ),
          new cloudwatch.LogQueryWidget({
            title: WIDGETS.inboundRefusals,
            logGroupNames: [props.inboundLogGroup.logGroupName],
            // One line per refusal (functions/app/inbound.ts): by source and reason, with how many addresses sent them.
            queryLines: [
              'filter message = "inbound request refused"',
              'stats count(*) as refused, count_distinct(sourceIp) as addresses, latest(userAgent) as userAgent by source, reason',
              'sort refused desc',
              'limit 20',
            ],
            width: 12,
            height: 6,
          }),
        ],
        [
          // Notices the bus refused twice are lost as notices only: the facts are in the history and the DLQ.
          graph(
            WIDGETS.operational,
            (
              [
                ['OperationalEventsEmitted', 'on the bus'],
                ['OperationalEventsFailed', 'refused by the bus (not retried again)'],
              ] as const satisfies readonly (readonly [MetricName, string])[]
            ).map(([m, label]) => props.metric(m, { label })),
            12,
          ),
        ],
      ],
    });
  }
}
