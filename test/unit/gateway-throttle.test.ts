import { describe, expect, it } from 'vitest';
import type { ThrottleLimits } from '../../functions/domain/throttle.js';
import { GatewayThrottle } from '../../local/gateway-throttle.js';

/** Local mode's gateway throttles as API Gateway does: the key's plan, then the stage, then the account. */

function throttle(plans: Record<string, ThrottleLimits>, stage: ThrottleLimits, account?: ThrottleLimits) {
  const clock = { now: 0 };
  const gate = new GatewayThrottle({
    stage,
    ...(account ? { account } : {}),
    planLimits: (key) => (key === undefined ? undefined : plans[key]),
    now: () => clock.now,
  });
  return { gate, clock };
}

const admitted = (n: number, f: () => { admitted: boolean }) => Array.from({ length: n }, f).filter((a) => a.admitted).length;

describe('GatewayThrottle', () => {
  it("gives each key its own bucket at its plan's limits: one tenant at its limit leaves another untouched", () => {
    const { gate, clock } = throttle(
      { a: { rateLimit: 1, burstLimit: 5 }, b: { rateLimit: 1, burstLimit: 5 } },
      { rateLimit: 100, burstLimit: 200 },
    );
    expect(admitted(20, () => gate.admit(true, 'a'))).toBe(5);
    expect(gate.admit(true, 'a')).toEqual({ admitted: false, reason: 'throttled', retryAfterSeconds: 1 });
    expect(admitted(5, () => gate.admit(true, 'b'))).toBe(5);
    clock.now = 1000;
    expect(admitted(3, () => gate.admit(true, 'a'))).toBe(1);
  });

  it('refuses a request without a key, or with one no plan holds, on a method that requires one', () => {
    const { gate } = throttle({ a: { rateLimit: 10, burstLimit: 10 } }, { rateLimit: 100, burstLimit: 200 });
    expect(gate.admit(true, undefined)).toEqual({ admitted: false, reason: 'invalid-key' });
    expect(gate.admit(true, 'unknown')).toEqual({ admitted: false, reason: 'invalid-key' });
    expect(gate.admit(true, 'a')).toEqual({ admitted: true });
  });

  it('applies the stage after the plans: tenants within their own limits still share the stage', () => {
    const plans = { a: { rateLimit: 10, burstLimit: 10 }, b: { rateLimit: 10, burstLimit: 10 } };
    const { gate, clock } = throttle(plans, { rateLimit: 2, burstLimit: 12 });
    expect(admitted(8, () => gate.admit(true, 'a'))).toBe(8);
    // b has all of its own 10, but the stage has 4 left.
    expect(admitted(8, () => gate.admit(true, 'b'))).toBe(4);
    expect(gate.admit(true, 'b')).toEqual({ admitted: false, reason: 'throttled', retryAfterSeconds: 1 });
    clock.now = 1000;
    expect(admitted(5, () => gate.admit(true, 'b'))).toBe(2);
  });

  it('throttles public routes (no key) by the stage alone, which they share with the tenants', () => {
    const { gate } = throttle({ a: { rateLimit: 10, burstLimit: 10 } }, { rateLimit: 1, burstLimit: 3 });
    expect(admitted(2, () => gate.admit(false, undefined))).toBe(2);
    expect(gate.admit(true, 'a')).toEqual({ admitted: true });
    expect(gate.admit(false, undefined)).toEqual({ admitted: false, reason: 'throttled', retryAfterSeconds: 1 });
  });

  it('applies the account last, across every stage', () => {
    const { gate } = throttle({}, { rateLimit: 100, burstLimit: 200 }, { rateLimit: 1, burstLimit: 2 });
    expect(admitted(5, () => gate.admit(false, undefined))).toBe(2);
  });

  it('starts a key moved to other limits with a full bucket at those', () => {
    const plans: Record<string, ThrottleLimits> = { a: { rateLimit: 1, burstLimit: 2 } };
    const { gate } = throttle(plans, { rateLimit: 100, burstLimit: 200 });
    expect(admitted(5, () => gate.admit(true, 'a'))).toBe(2);
    plans.a = { rateLimit: 50, burstLimit: 100 };
    expect(admitted(120, () => gate.admit(true, 'a'))).toBe(100);
  });
});
