import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmId } from '../../lib/constructs/alarms.js';
import { alarmState, type Datapoints } from '../support/alarm-evaluation.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { SYNTH_TIMEOUT_MS, type SynthesizedAlarm, synthesizedAlarms } from '../support/stack-alarms.js';
import { inFlightMessages } from '../support/twin-metrics.js';
import { eventually } from '../support/wait.js';

/**
 * Parking's alarms, as the stack defines them, fed what the twin measures: which inputs page a
 * person and which must not. CloudWatch's evaluation is modelled in test/support/alarm-evaluation.ts;
 * a datapoint here stands for a period there (the twin's seconds for the stack's minutes).
 * ResumerErrors is with the other functions' alarms (test/e2e/function-alarms.test.ts).
 */

const BUDGET = 1_000;
let alarms: Record<AlarmId, SynthesizedAlarm>;

beforeAll(() => {
  alarms = synthesizedAlarms({ inFlightBudget: BUDGET });
}, SYNTH_TIMEOUT_MS);

let p: TestPipeline | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await p?.stop();
  p = undefined;
  await receiver?.close();
  receiver = undefined;
});

/** In-flight counts of the delivery queue, one a second while `events` go to an endpoint that answers 503. */
async function inFlightWithDeadEndpoint(parking: boolean, events: number): Promise<number[]> {
  p = await startTestPipeline({ parking, inFlightBudget: BUDGET, sqsInFlightCap: 2 * BUDGET, retrySchedule: [3600] });
  receiver = await startReceiver((_q, _n, res) => void res.writeHead(503).end());
  await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
  for (let i = 0; i < events; i += 100)
    await Promise.all(
      Array.from({ length: 100 }, (_, n) =>
        p!.bus.publish(p!.tenantId, { id: `evt_${i + n}`, type: 'card.created', timestamp: new Date().toISOString(), data: {} }),
      ),
    );
  const samples: number[] = [];
  await eventually(
    'every event fanned out and settled',
    async () => {
      samples.push(inFlightMessages(p!, p!.sqs.delivery));
      const s = p!.sqs.inspect(p!.sqs.delivery);
      return (p!.metrics.counts.get('DeliveriesCreated') ?? 0) >= events && s.ready === 0 && samples.length >= 5 ? samples : undefined;
    },
    60_000,
  );
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 250));
    samples.push(inFlightMessages(p, p.sqs.delivery));
  }
  return samples;
}

describe('DeliveryQueueInFlightHigh', () => {
  it('pages when a dead endpoint fills the in-flight set (the engine without parking), not when parking keeps it out', async () => {
    const alarm = alarms.DeliveryQueueInFlightHigh!;
    expect(alarm.Threshold).toBe(BUDGET / 2);
    const without = await inFlightWithDeadEndpoint(false, 700);
    await p!.stop();
    p = undefined;
    await receiver!.close();
    receiver = undefined;
    const withParking = await inFlightWithDeadEndpoint(true, 700);
    expect(alarmState(alarm, without)).toBe('ALARM');
    expect(alarmState(alarm, withParking)).toBe('OK');
    expect(Math.max(...withParking)).toBeLessThan(BUDGET / 2);
    // A burst over half the budget for less than three periods does not page.
    expect(alarmState(alarm, [600, 200, 600])).toBe('OK');
    expect(alarmState(alarm, [])).toBe('INSUFFICIENT_DATA');
  }, 150_000);
});

describe('HeldDeliveriesOld', () => {
  it('pages once the oldest held delivery has waited past the threshold, not for a lot that just opened', async () => {
    const alarm = alarms.HeldDeliveriesOld!;
    let offset = 0;
    p = await startTestPipeline({ retrySchedule: [1, 7 * 86_400], clock: () => new Date(Date.now() + offset), dueBucketSeconds: 60 });
    receiver = await startReceiver((_q, _n, res) => void res.writeHead(503).end());
    await p.call('POST', '/api/v0.1/webhooks', { url: receiver.url, events: ['card.created'] });
    for (let i = 0; i < 20; i++)
      await p.bus.publish(p.tenantId, { id: `evt_h${i}`, type: 'card.created', timestamp: new Date().toISOString(), data: {} });
    await eventually('held', async () => ((p!.metrics.counts.get('DeliveryHeld') ?? 0) >= 10 ? true : undefined), 30_000);
    // Its first probe, a minute on: the oldest held delivery is a minute old.
    offset += 2 * 60_000;
    await p.resumeNow();
    const fresh = p.metrics.gaugeSeries.get('OldestHeldAgeSeconds') ?? [];
    expect(fresh.length).toBeGreaterThan(0);
    expect(alarmState(alarm, [fresh.at(-1)])).toBe('OK');
    // Thirteen hours on, the endpoint still down: the next probe reports it.
    offset += 13 * 3_600_000;
    await p.resumeNow();
    const late = p.metrics.gaugeSeries.get('OldestHeldAgeSeconds')!.at(-1)!;
    expect(late).toBeGreaterThan(12 * 3600);
    expect(alarmState(alarm, [late])).toBe('ALARM');
    // No lot probed in a period is no held delivery: not a page.
    expect(alarmState(alarm, [undefined])).toBe('OK');
  }, 90_000);
});

describe('DeliveriesOverdue', () => {
  it('stays quiet while the resumer keeps up, pages when it falls behind or stops reporting', async () => {
    const alarm = alarms.DeliveriesOverdue!;
    let offset = 0;
    // The stack's minute buckets, and runs that may work 1 ms: a two-hour backlog of buckets is not caught up in one.
    p = await startTestPipeline({
      clock: () => new Date(Date.now() + offset),
      dueBucketSeconds: 60,
      resumeIntervalMs: 3_600_000,
    });
    for (let i = 0; i < 5; i++) {
      offset += 60_000;
      await p.resumeNow();
    }
    const keepingUp = p.metrics.gaugeSeries.get('ResumeLagSeconds')!;
    expect(alarmState(alarm, keepingUp.slice(-5))).toBe('OK');
    await p.stop();
    p = await startTestPipeline({
      dataDir: undefined,
      clock: () => new Date(Date.now() + offset),
      dueBucketSeconds: 60,
      resumeIntervalMs: 3_600_000,
      resumerTimeBudgetMs: 0,
    });
    await p.resumeNow();
    offset += 2 * 3_600_000;
    for (let i = 0; i < 5; i++) await p.resumeNow();
    const behind = p.metrics.gaugeSeries.get('ResumeLagSeconds')!.slice(-5);
    expect(Math.min(...behind)).toBeGreaterThan(alarm.Threshold);
    expect(alarmState(alarm, behind)).toBe('ALARM');
    // Not running at all: no datapoint is a breach.
    expect(alarmState(alarm, [undefined, undefined, undefined, undefined, undefined] as Datapoints)).toBe('ALARM');
    expect(alarmState(alarm, [700, 700, 700, 700, 60])).toBe('OK');
  }, 60_000);
});

describe('the parking alarms at their thresholds', () => {
  const times = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

  it('DeliveryQueueInFlightHigh: above half the budget three minutes running', () => {
    const alarm = alarms.DeliveryQueueInFlightHigh;
    expect(alarm).toMatchObject({ Statistic: 'Maximum', Period: 60, EvaluationPeriods: 3, TreatMissingData: 'notBreaching' });
    expect(alarmState(alarm, times(3, BUDGET / 2))).toBe('OK');
    expect(alarmState(alarm, times(3, BUDGET / 2 + 1))).toBe('ALARM');
    expect(alarmState(alarm, [BUDGET / 2 + 1, BUDGET / 2 + 1, undefined])).toBe('OK');
  });

  it('HeldDeliveriesOld: an oldest held delivery past 12 hours in a quarter of an hour', () => {
    const alarm = alarms.HeldDeliveriesOld;
    expect(alarm).toMatchObject({ Statistic: 'Maximum', Period: 900, EvaluationPeriods: 1 });
    expect(alarmState(alarm, [alarm.Threshold])).toBe('OK');
    expect(alarmState(alarm, [alarm.Threshold + 1])).toBe('ALARM');
  });

  it('DeliveriesOverdue: the resumer more than 10 minutes behind five minutes running; silence counts', () => {
    const alarm = alarms.DeliveriesOverdue;
    expect(alarm).toMatchObject({ Statistic: 'Maximum', Period: 60, EvaluationPeriods: 5, TreatMissingData: 'breaching' });
    expect(alarmState(alarm, times(5, alarm.Threshold))).toBe('OK');
    expect(alarmState(alarm, times(5, alarm.Threshold + 1))).toBe('ALARM');
    // Behind, then silent: both breach.
    expect(alarmState(alarm, [...times(3, alarm.Threshold + 1), undefined, undefined])).toBe('ALARM');
  });
});
