import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmId } from '../../lib/constructs/alarms.js';
import { setSecret } from '../../scripts/lib/inbound-commands.js';
import { alarmState } from '../support/alarm-evaluation.js';
import { inboundCli, postInbound } from '../support/inbound.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { SYNTH_TIMEOUT_MS, type SynthesizedAlarm, synthesizedAlarms } from '../support/stack-alarms.js';
import { periodSum, pipelineCount } from '../support/twin-metrics.js';

/**
 * The inbound alarms as the stack defines them, fed what local mode's inbound function counts
 * under real requests and injected bus faults: which inputs page and which must not. One run of
 * requests is one 5-minute period (test/support/alarm-evaluation.ts).
 */

const SECRET = 'whsec_alarm_test_secret';
let alarms: Record<AlarmId, SynthesizedAlarm>;
let p: TestPipeline;
let n = 0;

const send = (secret = SECRET) => {
  const body = JSON.stringify({ id: `evt_alarm_${++n}`, type: 'charge.succeeded', data: { object: {} } });
  const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: Math.floor(Date.now() / 1000) });
  return postInbound(p, 'stripe', body, { 'content-type': 'application/json', 'stripe-signature': header });
};

beforeAll(async () => {
  alarms = synthesizedAlarms();
  p = await startTestPipeline({ inboundSources: [{ name: 'stripe', scheme: 'stripe' }] });
  const cli = await inboundCli(p);
  await setSecret(cli, { name: 'stripe', secret: SECRET });
  cli.close();
}, SYNTH_TIMEOUT_MS);
afterAll(async () => {
  await p?.stop();
});

describe('InboundRefusals', () => {
  it('watches the inbound function’s own count of refused signatures, more than 10 in 5 minutes', () => {
    expect(alarms.InboundRefusals).toMatchObject({ Namespace: 'Webhooks', MetricName: 'InboundRefused', Statistic: 'Sum', Period: 300 });
    expect(alarms.InboundRefusals.Threshold).toBe(10);
  });

  it('a period of accepted events, resends, unknown sources and oversized bodies does not page; 11 forged requests do', async () => {
    const alarm = alarms.InboundRefusals;
    const quiet = periodSum(() => pipelineCount(p, 'InboundRefused'), { missingWhenZero: true });
    for (let i = 0; i < 20; i++) expect((await send()).status).toBe(200);
    expect((await postInbound(p, 'nobody', '{}', {})).status).toBe(404);
    expect((await postInbound(p, 'stripe', 'x'.repeat(1024 * 1024 + 1), {})).status).toBe(413);
    const quietPeriod = quiet();
    expect(quietPeriod).toBeUndefined();
    expect(alarmState(alarm, [quietPeriod])).toBe('OK');

    const atThreshold = periodSum(() => pipelineCount(p, 'InboundRefused'), { missingWhenZero: true });
    for (let i = 0; i < 10; i++) expect((await send('whsec_forged')).status).toBe(401);
    const ten = atThreshold();
    expect(ten).toBe(10);
    expect(alarmState(alarm, [ten])).toBe('OK');

    const flood = periodSum(() => pipelineCount(p, 'InboundRefused'), { missingWhenZero: true });
    for (let i = 0; i < 11; i++) expect((await send('whsec_forged')).status).toBe(401);
    const eleven = flood();
    expect(eleven).toBe(11);
    expect(alarmState(alarm, [eleven])).toBe('ALARM');
    // The next period without refusals: it recovers.
    expect(alarmState(alarm, [eleven, undefined])).toBe('OK');
  });
});

describe('InboundBusFailures', () => {
  it('watches the events the bus did not take, and pages on the first', () => {
    expect(alarms.InboundBusFailures).toMatchObject({
      Namespace: 'Webhooks',
      MetricName: 'InboundBusFailed',
      Statistic: 'Sum',
      Period: 300,
    });
    expect(alarms.InboundBusFailures.Threshold).toBe(0);
  });

  it('a bus that refuses one event pages (the event answered 200 and kept); a store failure (503) and refusals do not', async () => {
    const alarm = alarms.InboundBusFailures;
    const other = periodSum(() => pipelineCount(p, 'InboundBusFailed'), { missingWhenZero: true });
    p.faults.fail('inbound-store');
    expect((await send()).status).toBe(503);
    expect((await send('whsec_forged')).status).toBe(401);
    expect((await send()).status).toBe(200);
    const none = other();
    expect(none).toBeUndefined();
    expect(alarmState(alarm, [none])).toBe('OK');

    const failing = periodSum(() => pipelineCount(p, 'InboundBusFailed'), { missingWhenZero: true });
    p.faults.fail('bus-refuses');
    expect((await send()).body).toMatchObject({ status: 'accepted' });
    const one = failing();
    expect(one).toBe(1);
    expect(alarmState(alarm, [one])).toBe('ALARM');
    expect(alarmState(alarm, [one, undefined])).toBe('OK');
  });
});
