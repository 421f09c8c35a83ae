/**
 * How CloudWatch evaluates a metric alarm, for tests that feed an alarm of the synthesized
 * template a series of datapoints and see whether it would page: the last EvaluationPeriods
 * periods, DatapointsToAlarm of them breaching (all of them when unset), missing periods treated
 * as TreatMissingData says.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation
 */
export interface AlarmProperties {
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  TreatMissingData?: string;
}

/** One datapoint per period, oldest first; undefined for a period with no data. */
export type Datapoints = readonly (number | undefined)[];

export function alarmState(alarm: AlarmProperties, points: Datapoints): 'ALARM' | 'OK' | 'INSUFFICIENT_DATA' {
  const window = points.slice(-alarm.EvaluationPeriods);
  const needed = alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods;
  const missing = alarm.TreatMissingData ?? 'missing';
  let breaching = 0;
  let present = 0;
  for (const p of window) {
    if (p === undefined) {
      if (missing === 'breaching') breaching++;
      if (missing === 'breaching' || missing === 'notBreaching') present++;
      continue;
    }
    present++;
    if (breaches(alarm, p)) breaching++;
  }
  if (breaching >= needed) return 'ALARM';
  return present === 0 ? 'INSUFFICIENT_DATA' : 'OK';
}

function breaches(alarm: AlarmProperties, value: number): boolean {
  switch (alarm.ComparisonOperator) {
    case 'GreaterThanThreshold':
      return value > alarm.Threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= alarm.Threshold;
    case 'LessThanThreshold':
      return value < alarm.Threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= alarm.Threshold;
    default:
      throw new Error(`comparison ${alarm.ComparisonOperator} not modelled`);
  }
}
