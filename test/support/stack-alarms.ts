import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ALARM_IDS, type AlarmId } from '../../lib/constructs/alarms.js';
import { WebhookDelivery, type WebhookDeliveryProps } from '../../lib/webhook-delivery.js';
import { cdkJsonContext, SKIP_BUNDLING } from '../cdk/support.js';
import type { AlarmProperties } from './alarm-evaluation.js';

/** An alarm as the template holds it: what test/support/alarm-evaluation.ts evaluates, and the metric it watches. */
export interface SynthesizedAlarm extends AlarmProperties {
  Namespace: string;
  MetricName: string;
  Statistic: string;
  Period: number;
}

/**
 * Every alarm of one WebhookDelivery built with `props`, synthesized as a stack would deploy it
 * (without bundling the functions: the template is the same), by its id in ALARM_IDS.
 */
export function synthesizedAlarms(props: WebhookDeliveryProps = {}): Record<AlarmId, SynthesizedAlarm> {
  const app = new App({ context: { ...cdkJsonContext(), ...SKIP_BUNDLING } });
  const stack = new Stack(app, 'AlarmInputs');
  const w = new WebhookDelivery(stack, 'Hooks', props);
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Properties: SynthesizedAlarm }>;
  const of = (id: AlarmId) => resources[stack.getLogicalId(w.alarms.byId[id]!.node.defaultChild as CfnElement)]!.Properties;
  return Object.fromEntries(ALARM_IDS.map((id) => [id, of(id)])) as Record<AlarmId, SynthesizedAlarm>;
}

/** Synthesis takes seconds on a loaded machine: the hook that calls synthesizedAlarms gets this long. */
export const SYNTH_TIMEOUT_MS = 120_000;
