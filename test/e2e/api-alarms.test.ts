import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_FAILURE } from '../../functions/domain/errors.js';
import { GATEWAY_RESPONSES } from '../../functions/domain/gateway-responses.js';
import { PORTAL_IDENTITY } from '../../functions/domain/portal.js';
import type { AlarmId } from '../../lib/constructs/alarms.js';
import { alarmState } from '../support/alarm-evaluation.js';
import { startTestPipeline, type TestPipeline } from '../support/local.js';
import { SYNTH_TIMEOUT_MS, type SynthesizedAlarm, synthesizedAlarms } from '../support/stack-alarms.js';
import { lambdaErrors, periodSum, pipelineCount, serverErrorShare } from '../support/twin-metrics.js';

/**
 * The API's alarms, as the stack defines them, fed what local mode's gateway stand-in and
 * authorizer measure: which inputs page a person and which must not. One run of requests is
 * one period (test/support/alarm-evaluation.ts models CloudWatch's evaluation).
 */

let alarms: Record<AlarmId, SynthesizedAlarm>;
let p: TestPipeline;

beforeAll(async () => {
  alarms = synthesizedAlarms();
  p = await startTestPipeline();
}, SYNTH_TIMEOUT_MS);
afterAll(async () => {
  await p?.stop();
});

const LIST = '/api/v0.1/webhooks';
/** As the local gateway answers a refusal today: the 401 and its body must not change. */
// What the stack's UNAUTHORIZED gateway response answers, and local mode's gateway with it.
const REFUSED_BODY = { error: { code: GATEWAY_RESPONSES.UNAUTHORIZED.code, message: GATEWAY_RESPONSES.UNAUTHORIZED.message } };

describe('AuthorizerErrors', () => {
  it('watches the authorizer’s own failure count, not Lambda’s Errors (which counts every 401)', () => {
    expect(alarms.AuthorizerErrors).toMatchObject({ Namespace: 'Webhooks', MetricName: 'AuthorizerFailed', Statistic: 'Sum', Period: 300 });
    expect(alarms.AuthorizerErrors.Threshold).toBe(0);
  });

  it('a run of refused credentials does not page; a failing tenant read does', async () => {
    const alarm = alarms.AuthorizerErrors;
    const failed = periodSum(() => pipelineCount(p, 'AuthorizerFailed'), { missingWhenZero: true });
    const lambdaErrorsOfAuthorizer = periodSum(() => lambdaErrors(p, 'authorizer'));
    const refusals: Record<string, string>[] = [
      { Identity: p.credentials.identity, Authorization: 'key_typo' },
      { Identity: 'idt_nobody', Authorization: p.credentials.authorization },
      // A portal session that ended (or never was): well-formed, found nowhere.
      { Identity: PORTAL_IDENTITY, Authorization: `Bearer ps_${'a'.repeat(43)}` },
    ];
    for (let i = 0; i < 30; i++) {
      const res = await p.call('GET', LIST, undefined, refusals[i % refusals.length]);
      expect(res.status).toBe(401);
      expect(res.body).toEqual(REFUSED_BODY);
    }
    expect(pipelineCount(p, 'AuthorizerRefused')).toBe(30);
    // Lambda's Errors counted each 401: an alarm on it would have paged.
    const errors = lambdaErrorsOfAuthorizer();
    expect(errors).toBe(30);
    expect(alarmState({ ...alarm, Threshold: 0 }, [errors])).toBe('ALARM');
    const refusedRun = failed();
    expect(refusedRun).toBeUndefined();
    expect(alarmState(alarm, [refusedRun])).toBe('OK');

    // DynamoDB refuses the tenant read once: that tenant gets a 500, the next request goes through.
    const failedRun = periodSum(() => pipelineCount(p, 'AuthorizerFailed'), { missingWhenZero: true });
    p.faults.fail('tenant-read');
    const res = await p.call('GET', LIST);
    expect(res.status).toBe(GATEWAY_FAILURE.status);
    expect(res.body).toEqual({ error: { code: GATEWAY_FAILURE.code, message: GATEWAY_FAILURE.message } });
    expect((await p.call('GET', LIST)).status).toBe(200);
    const oneFailure = failedRun();
    expect(oneFailure).toBe(1);
    expect(alarmState(alarm, [oneFailure])).toBe('ALARM');
    // The period after, with no failure (nothing written): it recovers.
    expect(alarmState(alarm, [oneFailure, undefined])).toBe('OK');
  });

  it('pages above its threshold only: alarmThresholds.authorizerErrors', () => {
    const alarm = { ...alarms.AuthorizerErrors, Threshold: 2 };
    expect(alarmState(alarm, [2])).toBe('OK');
    expect(alarmState(alarm, [3])).toBe('ALARM');
  });
});

describe('ApiServerErrors', () => {
  it('pages when more than 5 % of a period’s answers are 5xx; 4xx never count', async () => {
    const alarm = alarms.ApiServerErrors;
    expect(alarm).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Statistic: 'Average', Period: 300 });
    expect(alarm.Threshold).toBe(0.05);

    /** One period of `n` requests, the first `failures` of them meeting a tenant read that fails, `refused` more with a wrong key. */
    const period = async (n: number, failures: number, refused = 0) => {
      const statuses: number[] = [];
      p.faults.fail('tenant-read', failures);
      for (let i = 0; i < n; i++) statuses.push((await p.call('GET', LIST)).status);
      for (let i = 0; i < refused; i++) statuses.push((await p.call('GET', LIST, undefined, { Authorization: 'key_typo' })).status);
      expect(p.faults.pending('tenant-read')).toBe(0);
      return statuses;
    };

    // 5 of 100 is the threshold itself: not above it.
    const atThreshold = await period(100, 5);
    expect(atThreshold.filter((s) => s === 500)).toHaveLength(5);
    expect(serverErrorShare(atThreshold)).toBe(0.05);
    expect(alarmState(alarm, [serverErrorShare(atThreshold)])).toBe('OK');
    // 6 of 100 is.
    const above = await period(100, 6);
    expect(alarmState(alarm, [serverErrorShare(above)])).toBe('ALARM');
    // A period full of refused credentials (401) and no failure does not page.
    const refusedOnly = await period(20, 0, 80);
    expect(serverErrorShare(refusedOnly)).toBe(0);
    expect(alarmState(alarm, [serverErrorShare(refusedOnly)])).toBe('OK');
    // No request at all: no datapoint, not a breach.
    expect(serverErrorShare([])).toBeUndefined();
    expect(alarmState(alarm, [undefined])).toBe('OK');
  });
});
