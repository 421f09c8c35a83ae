import { afterEach, describe, expect, it } from 'vitest';
import { maxSubscriptionsPerTenant } from '../../functions/runtime/config.js';

describe('MAX_SUBSCRIPTIONS_PER_TENANT', () => {
  const saved = process.env.MAX_SUBSCRIPTIONS_PER_TENANT;
  afterEach(() => {
    if (saved === undefined) delete process.env.MAX_SUBSCRIPTIONS_PER_TENANT;
    else process.env.MAX_SUBSCRIPTIONS_PER_TENANT = saved;
  });

  it('is 1,000 when unset, the number when set, and refuses anything but a whole number from 1', () => {
    delete process.env.MAX_SUBSCRIPTIONS_PER_TENANT;
    expect(maxSubscriptionsPerTenant()).toBe(1000);
    process.env.MAX_SUBSCRIPTIONS_PER_TENANT = '25';
    expect(maxSubscriptionsPerTenant()).toBe(25);
    for (const bad of ['0', '-1', '1.5', 'lots', '1e3']) {
      process.env.MAX_SUBSCRIPTIONS_PER_TENANT = bad;
      expect(() => maxSubscriptionsPerTenant(), bad).toThrow(/whole number/);
    }
  });
});
