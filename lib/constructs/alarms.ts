import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_JITTER } from '../../functions/domain/retry-schedule.js';
import type { Metrics } from '../../functions/ports.js';

/** A count the handlers write (the Metrics port's names). */
export type MetricName = Parameters<Metrics['count']>[0];

export interface AlarmThresholds {
  /**
   * Seconds the oldest message of the delivery queue may be before deliveries count as late.
   * SQS leaves a message out of ApproximateAgeOfOldestMessage once it has been received three
   * times, but a message waiting for its second or third attempt counts, so the default is the
   * first two retry steps with their jitter, plus 15 minutes.
   * @default deliveryLateDefaultSeconds(retrySchedule)
   */
  readonly oldestDeliveryAgeSeconds?: number;
  /** Sender, fan-out or resumer invocations failing as a whole within 5 minutes. @default 0 (alarm on the first) */
  readonly functionErrors?: number;
  /** Sender or fan-out invocations throttled within 5 minutes. @default 0 (alarm on the first) */
  readonly functionThrottles?: number;
  /** Share of API requests answered 5xx over 5 minutes, 0 to 1. @default 0.05 */
  readonly apiServerErrorRate?: number;
  /**
   * Authorizer failures within 5 minutes (`AuthorizerFailed`: a read that failed or did not
   * answer in time, a bug; each is a 500 to a tenant). A refused credential is a 401 and never
   * counts, though Lambda's Errors metric counts it. @default 0 (alarm on the first)
   */
  readonly authorizerErrors?: number;
  /**
   * Seconds the oldest delivery held by an endpoint's open circuit (its subscription's lot) may
   * have waited: an endpoint that has been down this long has deliveries heading for the DLQ.
   * @default 43200 (12 hours; the default schedule dead-letters a delivery held from the start after about 2 days)
   */
  readonly oldestHeldDeliverySeconds?: number;
  /**
   * Seconds the resumer may run behind the due-time index before parked deliveries count as
   * overdue (pending past the time their schedule said). @default 600
   */
  readonly resumerLagSeconds?: number;
}

/** The authorizer's own count of its failures (functions/app/authorizer.ts), which AuthorizerErrors watches. */
export const AUTHORIZER_FAILED = 'AuthorizerFailed' satisfies MetricName;

/** Defaults of the thresholds above that are not derived from the schedule. */
export const DEFAULT_OLDEST_HELD_DELIVERY_SECONDS = 12 * 3600;
export const DEFAULT_RESUMER_LAG_SECONDS = 600;
/** Share of the in-flight budget at which the DeliveryQueueInFlightHigh alarm fires (the sender parks from 40 %). */
export const IN_FLIGHT_ALARM_SHARE = 0.5;

/** How old the oldest delivery message may be on a healthy pipeline, plus a quarter of an hour. */
export function deliveryLateDefaultSeconds(retrySchedule: readonly number[]): number {
  const firstTwo = (retrySchedule[0] ?? 0) + (retrySchedule[1] ?? 0);
  return Math.ceil(firstTwo * (1 + DEFAULT_JITTER)) + 15 * 60;
}

export interface PipelineFunctions {
  readonly api: lambda.IFunction;
  readonly authorizer: lambda.IFunction;
  readonly fanout: lambda.IFunction;
  readonly sender: lambda.IFunction;
  readonly resumer: lambda.IFunction;
}

/** The pipeline's own metric `metricName` (namespace Webhooks, this instance's service). */
export type PipelineMetric = (metricName: string, options?: cloudwatch.MetricOptions) => cloudwatch.IMetric;

export interface PipelineAlarmsProps {
  readonly retrySchedule: readonly number[];
  readonly deliveryQueue: sqs.IQueue;
  /** Deliveries that used up every attempt. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Events the fan-out (or EventBridge) could not process. */
  readonly ingestDeadLetterQueue: sqs.IQueue;
  /** EventBridge's target DLQ for the rule into the ingest queue. */
  readonly busTargetDeadLetterQueue?: sqs.IQueue;
  readonly functions: PipelineFunctions;
  readonly stage: apigw.Stage;
  /** The delivery queue's in-flight budget (the construct's `inFlightBudget`). */
  readonly inFlightBudget: number;
  readonly metric: PipelineMetric;
  /** Where alarms (and their recoveries) are sent, if anywhere. */
  readonly alarmTopic?: sns.ITopic;
  readonly thresholds?: AlarmThresholds;
}

/** The alarms' construct ids, each a section of docs/runbook.md. */
export const ALARM_IDS = [
  'DeliveriesLate',
  'DeadLetterQueueNotEmpty',
  'IngestDeadLetterQueueNotEmpty',
  'BusTargetDeadLetterQueueNotEmpty',
  'SenderErrors',
  'SenderThrottles',
  'FanoutErrors',
  'FanoutThrottles',
  'ApiServerErrors',
  'AuthorizerErrors',
  'DeliveryQueueInFlightHigh',
  'HeldDeliveriesOld',
  'DeliveriesOverdue',
  'ResumerErrors',
] as const;
export type AlarmId = (typeof ALARM_IDS)[number];

const RUNBOOK = 'docs/runbook.md';

/** What pages an operator; every alarm's description names its runbook section. */
export class PipelineAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly byId: Partial<Record<AlarmId, cloudwatch.Alarm>> = {};

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const t = props.thresholds ?? {};
    const fiveMinutes = Duration.minutes(5);
    const above = (
      alarmId: AlarmId,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
      treatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: `${description} Runbook: ${RUNBOOK}#${alarmId.toLowerCase()}`,
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods,
        treatMissingData,
      });
      this.alarms.push(alarm);
      this.byId[alarmId] = alarm;
      return alarm;
    };
    const queueNotEmpty = (queue: sqs.IQueue) =>
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM });
    const sum = (fn: lambda.IFunction, metric: 'Errors' | 'Throttles') =>
      fn.metric(metric, { period: fiveMinutes, statistic: cloudwatch.Stats.SUM });
    const { sender, fanout, resumer } = props.functions;

    above(
      'DeliveriesLate',
      props.deliveryQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
      t.oldestDeliveryAgeSeconds ?? deliveryLateDefaultSeconds(props.retrySchedule),
      'Deliveries are late: the oldest message of the delivery queue is older than a healthy retry schedule explains (a backlog, or the sender is down).',
      5,
    );
    above(
      'DeadLetterQueueNotEmpty',
      queueNotEmpty(props.deadLetterQueue),
      0,
      'Webhook deliveries failed every attempt and wait in the delivery DLQ. Fix the receiver, then "Start DLQ redrive" in the SQS console (or npm run redrive).',
    );
    above(
      'IngestDeadLetterQueueNotEmpty',
      queueNotEmpty(props.ingestDeadLetterQueue),
      0,
      'Tenant events could not be fanned out and wait in the ingest DLQ. Check the fan-out logs, then "Start DLQ redrive" in the SQS console (or npm run redrive -- --ingest).',
    );
    if (props.busTargetDeadLetterQueue)
      above(
        'BusTargetDeadLetterQueueNotEmpty',
        queueNotEmpty(props.busTargetDeadLetterQueue),
        0,
        'EventBridge could not put tenant events on the ingest queue for 24 hours. Fix the queue (policy, encryption), then npm run redrive -- --ingest.',
      );
    above(
      'SenderErrors',
      sum(sender, 'Errors'),
      t.functionErrors ?? 0,
      'The webhook sender failed whole invocations (not single deliveries); its batches are retried.',
    );
    above(
      'SenderThrottles',
      sum(sender, 'Throttles'),
      t.functionThrottles ?? 0,
      'The sender was throttled (account concurrency used up); deliveries wait, no attempt is lost.',
    );
    above('FanoutErrors', sum(fanout, 'Errors'), t.functionErrors ?? 0, 'The fan-out failed whole invocations; its batches are retried.');
    above(
      'FanoutThrottles',
      sum(fanout, 'Throttles'),
      t.functionThrottles ?? 0,
      'The fan-out was throttled (account concurrency used up); events wait in the ingest queue.',
    );
    // WebhookDelivery checks it is a share (0 to 1) before building anything.
    const serverErrorRate = t.apiServerErrorRate ?? 0.05;
    above(
      'ApiServerErrors',
      // API Gateway's 5XXError is 0 or 1 per request: its average is the share of 5xx answers.
      props.stage.metricServerError({ period: fiveMinutes, statistic: cloudwatch.Stats.AVERAGE }),
      serverErrorRate,
      'The tenant API answers 5xx to more than the threshold share of requests.',
    );
    above(
      'AuthorizerErrors',
      // Not Lambda's Errors: the authorizer answers a refused credential (a 401) by throwing,
      // which Errors counts, so any tenant's typo would page. The authorizer counts its failures itself.
      props.metric(AUTHORIZER_FAILED, { period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
      t.authorizerErrors ?? 0,
      'The authorizer failed (a tenant read failed or did not answer in time); API Gateway answered those tenants 500. Refused credentials (401) do not count.',
    );

    // Parking (functions/domain/parking.ts): the in-flight set, the lots, the resumer.
    above(
      'DeliveryQueueInFlightHigh',
      props.deliveryQueue.metricApproximateNumberOfMessagesNotVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
      Math.floor(props.inFlightBudget * IN_FLIGHT_ALARM_SHARE),
      `The delivery queue has more than half its in-flight budget (${props.inFlightBudget}) in flight: parking is not keeping up, and at SQS's cap (about 120,000) no tenant's delivery is received.`,
      3,
    );
    above(
      'HeldDeliveriesOld',
      props.metric('OldestHeldAgeSeconds', { period: Duration.minutes(15), statistic: cloudwatch.Stats.MAXIMUM }),
      t.oldestHeldDeliverySeconds ?? DEFAULT_OLDEST_HELD_DELIVERY_SECONDS,
      "A subscription's endpoint has failed every probe for long: its deliveries are held without a POST and head for the DLQ when their schedule ends.",
    );
    above(
      'DeliveriesOverdue',
      props.metric('ResumeLagSeconds', { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
      t.resumerLagSeconds ?? DEFAULT_RESUMER_LAG_SECONDS,
      'Parked deliveries are pending past their due time: the resumer runs behind the due-time index, or does not run (no data is a breach: it reports every minute).',
      5,
      cloudwatch.TreatMissingData.BREACHING,
    );
    above(
      'ResumerErrors',
      sum(resumer, 'Errors'),
      t.functionErrors ?? 0,
      'The resumer failed whole runs; the next run goes on from its cursor, but repeated failures leave parked deliveries pending.',
    );

    if (props.alarmTopic) {
      const action = new SnsAction(props.alarmTopic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }
}
