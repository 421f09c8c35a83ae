import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE } from '../../functions/domain/retry-schedule.js';
import { type AlarmId, deliveryLateDefaultSeconds } from '../../lib/constructs/alarms.js';
import type { QueueRef } from '../../local/sqs-emulator.js';
import { alarmState, type Datapoints } from '../support/alarm-evaluation.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { SYNTH_TIMEOUT_MS, type SynthesizedAlarm, synthesizedAlarms } from '../support/stack-alarms.js';
import { AGE_METRIC_RECEIVE_LIMIT, ageOfOldestMessage, visibleMessages } from '../support/twin-metrics.js';
import { eventually } from '../support/wait.js';

/**
 * The queues' alarms, as the stack defines them, fed what local mode's queues hold: which
 * inputs page a person and which must not. A reading of the twin is one period's datapoint
 * (test/support/alarm-evaluation.ts models CloudWatch's evaluation).
 */

let alarms: Record<AlarmId, SynthesizedAlarm>;
beforeAll(() => {
  alarms = synthesizedAlarms();
}, SYNTH_TIMEOUT_MS);

let p: TestPipeline | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await p?.stop();
  p = undefined;
  await receiver?.close();
  receiver = undefined;
});

const event = (id: string) => ({ id, type: 'card.created', timestamp: new Date().toISOString(), data: {} });
const times = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

/** A pipeline with one subscription to a receiver answering `status`. */
async function pipelineTo(status: number, options: Parameters<typeof startTestPipeline>[0] = {}): Promise<TestPipeline> {
  p = await startTestPipeline(options);
  receiver = await startReceiver((_q, _n, res) => void res.writeHead(status).end());
  expect((await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] })).status).toBe(201);
  return p;
}

/** The queue's messages once there are `n` of them (fan-out done). */
const holding = (pipeline: TestPipeline, queue: QueueRef, n: number) =>
  eventually(`${n} messages in ${queue.name}`, async () => {
    const messages = pipeline.sqs.peek(queue);
    return messages.length >= n ? messages : undefined;
  });

describe('DeliveriesLate', () => {
  it('uses the threshold derived from the schedule, five minutes in a row', () => {
    const alarm = alarms.DeliveriesLate;
    expect(alarm).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Statistic: 'Maximum', Period: 60, EvaluationPeriods: 5 });
    expect(alarm.Threshold).toBe(deliveryLateDefaultSeconds(DEFAULT_RETRY_SCHEDULE));
    const t = alarm.Threshold;
    expect(alarmState(alarm, times(5, t))).toBe('OK');
    expect(alarmState(alarm, times(5, t + 1))).toBe('ALARM');
    // Four late minutes and one on time, or one without data: not five in a row.
    expect(alarmState(alarm, [...times(4, t + 1), t])).toBe('OK');
    expect(alarmState(alarm, [...times(4, t + 1), undefined])).toBe('OK');
    expect(alarmState(alarm, [t, ...times(4, t + 1)])).toBe('OK');
  });

  it('stays quiet while the sender keeps up', async () => {
    const pipeline = await pipelineTo(200);
    const ages: number[] = [];
    for (let i = 0; i < 5; i++) {
      await Promise.all([0, 1, 2, 3].map((n) => pipeline.bus.publish(pipeline.tenantId, event(`evt_ok_${i}_${n}`))));
      ages.push(ageOfOldestMessage(pipeline, pipeline.sqs.delivery));
    }
    await receiver!.waitFor(20);
    await eventually('the delivery queue drained', async () => (pipeline.sqs.peek(pipeline.sqs.delivery).length === 0 ? true : undefined));
    ages.push(ageOfOldestMessage(pipeline, pipeline.sqs.delivery));
    expect(ages.at(-1)).toBe(0);
    expect(alarmState(alarms.DeliveriesLate, ages)).toBe('OK');
  });

  it('pages for a backlog the sender does not get through (Lambda throttling it), older than the threshold five minutes running', async () => {
    const alarm = alarms.DeliveriesLate;
    const pipeline = await pipelineTo(200);
    pipeline.faults.fail('throttle', 1_000_000);
    await Promise.all(Array.from({ length: 20 }, (_, n) => pipeline.bus.publish(pipeline.tenantId, event(`evt_late_${n}`))));
    const backlog = await holding(pipeline, pipeline.sqs.delivery, 20);
    const fresh = ageOfOldestMessage(pipeline, pipeline.sqs.delivery);
    // The backlog as it stands after waiting threshold + 5 minutes: the twin ages it instead of the test waiting.
    for (const m of backlog) pipeline.sqs.backdate(pipeline.sqs.delivery, m.messageId, alarm.Threshold + 300);
    const late = [0, 1, 2, 3, 4].map(() => ageOfOldestMessage(pipeline, pipeline.sqs.delivery));
    expect(Math.min(...late)).toBeGreaterThan(alarm.Threshold);
    expect(alarmState(alarm, late)).toBe('ALARM');
    // The minute before it was fresh: four late minutes are not yet a page.
    expect(alarmState(alarm, [fresh, ...late.slice(1)])).toBe('OK');
    expect(receiver!.requests).toHaveLength(0);
  });

  it('does not page for messages received three times or more (SQS leaves them out of the metric), however old', async () => {
    const alarm = alarms.DeliveriesLate;
    // Each throttled receive hands the batch back a second later, with a higher receive count.
    const pipeline = await pipelineTo(200, { processingVisibilitySeconds: 1 });
    pipeline.faults.fail('throttle', 1_000_000);
    await Promise.all(Array.from({ length: 5 }, (_, n) => pipeline.bus.publish(pipeline.tenantId, event(`evt_far_${n}`))));
    const received = await eventually('every message received three times', async () => {
      const messages = pipeline.sqs.peek(pipeline.sqs.delivery);
      return messages.length === 5 && messages.every((m) => m.receiveCount >= AGE_METRIC_RECEIVE_LIMIT) ? messages : undefined;
    });
    for (const m of received) pipeline.sqs.backdate(pipeline.sqs.delivery, m.messageId, alarm.Threshold + 300);
    const ages = [0, 1, 2, 3, 4].map(() => ageOfOldestMessage(pipeline, pipeline.sqs.delivery));
    expect(ages).toEqual(times(5, 0));
    expect(alarmState(alarm, ages)).toBe('OK');
  });
});

/** What an operator does once it is handled: the queue's messages received and deleted (or redriven). */
async function empty(pipeline: TestPipeline, queue: QueueRef): Promise<void> {
  for (;;) {
    const { Messages = [] } = await pipeline.sqs.client.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return;
    for (const m of Messages)
      await pipeline.sqs.client.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle }));
  }
}

/** The alarm's one-minute Maximum of the queue's visible messages: a reading of the twin. */
function expectNotEmptyAlarm(alarm: SynthesizedAlarm): void {
  expect(alarm).toMatchObject({
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Statistic: 'Maximum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 0,
    TreatMissingData: 'notBreaching',
  });
  expect(alarmState(alarm, [undefined] as Datapoints)).toBe('OK');
}

describe('DeadLetterQueueNotEmpty', () => {
  it('pages once a delivery has used up its schedule and waits in the DLQ, not before, and recovers once it is emptied', async () => {
    const alarm = alarms.DeadLetterQueueNotEmpty;
    expectNotEmptyAlarm(alarm);
    const pipeline = await pipelineTo(503, { retrySchedule: [1], attemptTimeoutMs: 2_000 });
    const dlq = pipeline.sqs.deliveryDlq;
    expect(alarmState(alarm, [visibleMessages(pipeline, dlq)])).toBe('OK');
    await pipeline.bus.publish(pipeline.tenantId, event('evt_dead'));
    // Failing, its first attempt and its retry: the delivery queue holds it, the DLQ does not yet.
    await receiver!.waitFor(1);
    expect(alarmState(alarm, [visibleMessages(pipeline, dlq)])).toBe('OK');
    const dead = await eventually('dead-lettered', async () => visibleMessages(pipeline, dlq) || undefined, 30_000);
    expect(dead).toBe(1);
    expect(receiver!.requests).toHaveLength(2);
    expect(alarmState(alarm, [dead])).toBe('ALARM');
    await empty(pipeline, dlq);
    expect(alarmState(alarm, [dead, visibleMessages(pipeline, dlq)])).toBe('OK');
  }, 60_000);
});

describe('IngestDeadLetterQueueNotEmpty', () => {
  it('pages once the fan-out has failed an event five times, not while it is still retrying', async () => {
    const alarm = alarms.IngestDeadLetterQueueNotEmpty;
    expectNotEmptyAlarm(alarm);
    // A failed batch is received again a second later (the stack: after six fan-out timeouts).
    const pipeline = await pipelineTo(200, { processingVisibilitySeconds: 1 });
    const dlq = pipeline.sqs.ingestDlq;
    pipeline.faults.failInvocations('fanout', { when: 'before' });
    await pipeline.bus.publish(pipeline.tenantId, event('evt_unfanned'));
    await eventually('the fan-out failed once', async () => (pipeline.faults.injected >= 1 ? true : undefined));
    expect(alarmState(alarm, [visibleMessages(pipeline, dlq)])).toBe('OK');
    const dead = await eventually('in the ingest DLQ', async () => visibleMessages(pipeline, dlq) || undefined, 30_000);
    expect(pipeline.faults.injected).toBe(5);
    expect(alarmState(alarm, [dead])).toBe('ALARM');
    await empty(pipeline, dlq);
    expect(alarmState(alarm, [visibleMessages(pipeline, dlq)])).toBe('OK');
  }, 60_000);
});

describe('BusTargetDeadLetterQueueNotEmpty', () => {
  it('pages once EventBridge could not put an event on the ingest queue, not while it can', async () => {
    const alarm = alarms.BusTargetDeadLetterQueueNotEmpty;
    expectNotEmptyAlarm(alarm);
    const pipeline = await pipelineTo(200);
    const dlq = pipeline.sqs.busTargetDlq;
    await pipeline.bus.publish(pipeline.tenantId, event('evt_through'));
    await receiver!.waitFor(1);
    expect(alarmState(alarm, [visibleMessages(pipeline, dlq)])).toBe('OK');
    // The ingest queue refuses the rule's target (its policy or key): the event goes to the target's DLQ.
    pipeline.faults.failSendEntries({ queueUrl: pipeline.sqs.ingest.url, senderFault: true, code: 'KMS.AccessDeniedException' });
    await pipeline.bus.publish(pipeline.tenantId, event('evt_refused'));
    const dead = visibleMessages(pipeline, dlq);
    expect(dead).toBe(1);
    expect(alarmState(alarm, [dead])).toBe('ALARM');
    pipeline.faults.clear();
    await empty(pipeline, dlq);
    expect(alarmState(alarm, [visibleMessages(pipeline, dlq)])).toBe('OK');
  });
});
