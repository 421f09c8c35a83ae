import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmId } from '../../lib/constructs/alarms.js';
import { alarmState } from '../support/alarm-evaluation.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { SYNTH_TIMEOUT_MS, type SynthesizedAlarm, synthesizedAlarms } from '../support/stack-alarms.js';
import { lambdaErrors, periodSum, pipelineCount, senderThrottles } from '../support/twin-metrics.js';
import { eventually } from '../support/wait.js';

/**
 * The functions' error and throttle alarms, as the stack defines them, fed the invocations
 * local mode counts while faults are injected (local/faults.ts): which inputs page a person and
 * which must not. Each phase of a run is one period (test/support/alarm-evaluation.ts).
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

/** A pipeline whose failed batches come back a second later (the stack: after the queue's visibility timeout), with one subscription. */
async function pipelineTo(status = 200, options: Parameters<typeof startTestPipeline>[0] = {}): Promise<TestPipeline> {
  p = await startTestPipeline({ processingVisibilitySeconds: 1, ...options });
  receiver = await startReceiver((_q, _n, res) => void res.writeHead(status).end());
  expect((await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] })).status).toBe(201);
  return p;
}

/** Five-minute Sum of Lambda's Errors or Throttles, alarming above the threshold: the shape each of these shares. */
function expectFiveMinuteSum(alarm: SynthesizedAlarm, metricName: 'Errors' | 'Throttles'): void {
  expect(alarm).toMatchObject({
    Namespace: 'AWS/Lambda',
    MetricName: metricName,
    Statistic: 'Sum',
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: 0,
    TreatMissingData: 'notBreaching',
  });
  // A function not invoked in a period has no datapoint: no page. A higher threshold (alarmThresholds) pages only above it.
  expect(alarmState(alarm, [undefined])).toBe('OK');
  expect(alarmState({ ...alarm, Threshold: 3 }, [3])).toBe('OK');
  expect(alarmState({ ...alarm, Threshold: 3 }, [4])).toBe('ALARM');
}

describe('SenderErrors', () => {
  it('pages when sender invocations fail as a whole, not for deliveries that fail (those are retries)', async () => {
    const alarm = alarms.SenderErrors;
    expectFiveMinuteSum(alarm, 'Errors');
    const pipeline = await pipelineTo(503, { retrySchedule: [1, 1] });
    // A period of failing deliveries: every attempt answered 503, every invocation fine.
    const failingDeliveries = periodSum(() => lambdaErrors(pipeline, 'sender'));
    await pipeline.bus.publish(pipeline.tenantId, event('evt_503'));
    await eventually('dead-lettered', async () => (pipelineCount(pipeline, 'DeliveryDeadLettered') >= 1 ? true : undefined), 30_000);
    const healthy = failingDeliveries();
    expect(healthy).toBe(0);
    expect(alarmState(alarm, [healthy])).toBe('OK');

    // Two invocations fail before their work (the batch comes back each time), then it is delivered.
    const crashing = periodSum(() => lambdaErrors(pipeline, 'sender'));
    receiver!.respond((_q, _n, res) => void res.writeHead(200).end());
    pipeline.faults.failInvocations('sender', { when: 'before', times: 2, match: (body) => body.includes('evt_crash') });
    await pipeline.bus.publish(pipeline.tenantId, event('evt_crash'));
    await eventually('delivered after two failed invocations', async () =>
      pipelineCount(pipeline, 'DeliverySucceeded') >= 1 ? true : undefined,
    );
    const errors = crashing();
    expect(errors).toBe(2);
    expect(alarmState(alarm, [errors])).toBe('ALARM');
  }, 60_000);
});

describe('SenderThrottles', () => {
  it('pages when Lambda throttles the sender, not when it runs', async () => {
    const alarm = alarms.SenderThrottles;
    expectFiveMinuteSum(alarm, 'Throttles');
    const pipeline = await pipelineTo();
    const quiet = periodSum(() => senderThrottles(pipeline));
    await pipeline.bus.publish(pipeline.tenantId, event('evt_run'));
    await receiver!.waitFor(1);
    expect(alarmState(alarm, [quiet()])).toBe('OK');

    const throttled = periodSum(() => senderThrottles(pipeline));
    pipeline.faults.fail('throttle', 2);
    await pipeline.bus.publish(pipeline.tenantId, event('evt_throttled'));
    // Refused twice, the batch comes back each time and is then delivered: no attempt lost.
    await receiver!.waitFor(2);
    const n = throttled();
    expect(n).toBe(2);
    expect(alarmState(alarm, [n])).toBe('ALARM');
  });
});

describe('FanoutErrors', () => {
  it('pages when fan-out invocations fail as a whole, not while they work', async () => {
    const alarm = alarms.FanoutErrors;
    expectFiveMinuteSum(alarm, 'Errors');
    const pipeline = await pipelineTo();
    const working = periodSum(() => lambdaErrors(pipeline, 'fanout'));
    await pipeline.bus.publish(pipeline.tenantId, event('evt_fanned'));
    await receiver!.waitFor(1);
    expect(alarmState(alarm, [working()])).toBe('OK');

    const failing = periodSum(() => lambdaErrors(pipeline, 'fanout'));
    pipeline.faults.failInvocations('fanout', { when: 'before', times: 2 });
    await pipeline.bus.publish(pipeline.tenantId, event('evt_failed_twice'));
    await receiver!.waitFor(2);
    const errors = failing();
    expect(errors).toBe(2);
    expect(alarmState(alarm, [errors])).toBe('ALARM');
  });
});

describe('FanoutThrottles', () => {
  // Local mode's fan-out poller takes no throttle fault (the `throttle` point is the sender's), so plain series.
  it('pages on a throttled fan-out invocation, not without', () => {
    const alarm = alarms.FanoutThrottles;
    expectFiveMinuteSum(alarm, 'Throttles');
    expect(alarmState(alarm, [0])).toBe('OK');
    expect(alarmState(alarm, [1])).toBe('ALARM');
    expect(alarmState(alarm, [1, 0])).toBe('OK');
  });
});

describe('ResumerErrors', () => {
  it('pages on a failed resumer run, not on runs that work', async () => {
    const alarm = alarms.ResumerErrors;
    expectFiveMinuteSum(alarm, 'Errors');
    let offset = 0;
    // Runs only when asked; a 400 s wait is parked (longer than the 5 minutes kept in flight).
    const pipeline = await pipelineTo(503, {
      retrySchedule: [400],
      clock: () => new Date(Date.now() + offset),
      resumeIntervalMs: 3_600_000,
    });
    await pipeline.bus.publish(pipeline.tenantId, event('evt_parked'));
    await eventually('parked', async () => (pipelineCount(pipeline, 'DeliveryParked') >= 1 ? true : undefined));
    const working = periodSum(() => lambdaErrors(pipeline, 'resumer'));
    await pipeline.resumeNow();
    await pipeline.resumeNow();
    expect(alarmState(alarm, [working()])).toBe('OK');

    // Due now; the run crashes once it has sent the resume, before its cursor moves on.
    const crashing = periodSum(() => lambdaErrors(pipeline, 'resumer'));
    offset += 500_000;
    pipeline.faults.fail('resumer-after-send');
    await expect(pipeline.resumeNow()).rejects.toThrow(/resumer-after-send/);
    const errors = crashing();
    expect(errors).toBe(1);
    expect(alarmState(alarm, [errors])).toBe('ALARM');
    // The next run goes on from the cursor and works: the period after recovers.
    const after = periodSum(() => lambdaErrors(pipeline, 'resumer'));
    await pipeline.resumeNow();
    expect(alarmState(alarm, [errors, after()])).toBe('OK');
  });
});
