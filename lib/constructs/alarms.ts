import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PipelineAlarmsProps {
  /** Deliveries that used up every attempt. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Events the fan-out (or EventBridge) could not process. */
  readonly ingestDeadLetterQueue: sqs.IQueue;
  /** EventBridge's target DLQ for the rule into the ingest queue. */
  readonly busTargetDeadLetterQueue?: sqs.IQueue;
  readonly sender: lambda.IFunction;
  readonly fanout: lambda.IFunction;
  /** Where alarms (and their recoveries) are sent, if anywhere. */
  readonly alarmTopic?: sns.ITopic;
}

/** What an operator must look at: anything in a DLQ, and functions that fail as a whole. */
export class PipelineAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);

    const queueNotEmpty = (alarmId: string, queue: sqs.IQueue, description: string) =>
      this.add(
        new cloudwatch.Alarm(this, alarmId, {
          alarmDescription: description,
          metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    const functionErrors = (alarmId: string, fn: lambda.IFunction, description: string) =>
      this.add(
        new cloudwatch.Alarm(this, alarmId, {
          alarmDescription: description,
          metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );

    queueNotEmpty(
      'DeadLetterQueueNotEmpty',
      props.deadLetterQueue,
      'Webhook deliveries failed every attempt and wait in the delivery DLQ. Fix the receiver, then "Start DLQ redrive" in the SQS console (or npm run redrive).',
    );
    queueNotEmpty(
      'IngestDeadLetterQueueNotEmpty',
      props.ingestDeadLetterQueue,
      'Tenant events could not be fanned out and wait in the ingest DLQ. Check the fan-out logs, then "Start DLQ redrive" in the SQS console (or npm run redrive -- --ingest).',
    );
    if (props.busTargetDeadLetterQueue)
      queueNotEmpty(
        'BusTargetDeadLetterQueueNotEmpty',
        props.busTargetDeadLetterQueue,
        'EventBridge could not put tenant events on the ingest queue for 24 hours. Fix the queue (policy, encryption), then npm run redrive -- --ingest.',
      );
    functionErrors(
      'SenderErrors',
      props.sender,
      'The webhook sender failed whole invocations (not single deliveries); its batches are retried.',
    );
    functionErrors('FanoutErrors', props.fanout, 'The fan-out failed whole invocations; its batches are retried.');

    if (props.alarmTopic) {
      const action = new SnsAction(props.alarmTopic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }

  private add(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    this.alarms.push(alarm);
    return alarm;
  }
}
