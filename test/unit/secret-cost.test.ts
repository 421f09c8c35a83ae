import { describe, expect, it } from 'vitest';
import { PRICES } from '../../bench/prices.js';
import { DEFAULT_SECRET_COST_ASSUMPTIONS, measureSecretCost } from '../../bench/secret-cost.js';

describe('signing secret storage cost model', () => {
  it('prices one Secrets Manager secret per subscription, its reads and writes', async () => {
    const c = await measureSecretCost({ subscriptions: 1_000, readsPerSubscription: 10_000, writesPerSubscription: 2, warmContainers: 10 });
    expect(c.perSubscription).toBeCloseTo(0.4 + (10_002 * 0.05) / 10_000, 9);
    expect(c.breakdown.perSubscription).toEqual({ secretMonth: 0.4, reads: 0.05, writes: expect.closeTo(0.00001, 12) });
  });

  it('shares the key ring among the subscriptions and prices the sealed item in DynamoDB', async () => {
    const c = await measureSecretCost(DEFAULT_SECRET_COST_ASSUMPTIONS);
    // A rotated set (two whsec_ secrets and an expiry), sealed and base64: a few hundred bytes, one RRU / WRU.
    expect(c.sealedItemBytes).toBeGreaterThan(200);
    expect(c.sealedItemBytes).toBeLessThan(1024);
    expect(c.breakdown.envelope.keyringSecretShare).toBeCloseTo(PRICES.secretsManager.perSecretMonth / 1_000, 12);
    // 10 containers re-reading the ring every 5 minutes for 30 days.
    expect(c.breakdown.envelope.keyringReadsShare).toBeCloseTo((10 * 8_640 * PRICES.secretsManager.perApiCall) / 1_000, 12);
    // The busiest subscription: a read per warm sender container per 15-minute cache, around the clock.
    expect(DEFAULT_SECRET_COST_ASSUMPTIONS.readsPerSubscription).toBe(10 * 4 * 24 * 30);
    expect(c.breakdown.envelope.reads).toBeCloseTo(28_800 * PRICES.dynamodb.perReadRequestUnit, 12);
    expect(c.envelope).toBeLessThanOrEqual(0.01);
    expect(c.perSubscription / c.envelope).toBeGreaterThan(100);
  });
});
