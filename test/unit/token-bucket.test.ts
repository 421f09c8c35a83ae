import { describe, expect, it } from 'vitest';
import { DEFAULT_STAGE_THROTTLE, DEFAULT_TENANT_THROTTLE, RETRY_AFTER_SECONDS, validateThrottle } from '../../functions/domain/throttle.js';
import { TokenBucket } from '../../functions/domain/token-bucket.js';
import { pacer } from '../../scripts/lib/pacer.js';

describe('TokenBucket', () => {
  it('starts full: a burst of burstLimit passes at once, the next is refused', () => {
    const bucket = new TokenBucket({ rateLimit: 1, burstLimit: 5 }, () => 0);
    const results = Array.from({ length: 8 }, () => bucket.take());
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(results.slice(5)).toEqual([
      { allowed: false, retryAfterSeconds: 1 },
      { allowed: false, retryAfterSeconds: 1 },
      { allowed: false, retryAfterSeconds: 1 },
    ]);
  });

  it('refills at rateLimit a second, never past burstLimit', () => {
    let now = 0;
    const bucket = new TokenBucket({ rateLimit: 2, burstLimit: 4 }, () => now);
    for (let i = 0; i < 4; i++) expect(bucket.take().allowed).toBe(true);
    expect(bucket.available()).toBe(0);
    now = 499;
    expect(bucket.take().allowed).toBe(false);
    now = 500;
    // One token after half a second at 2 a second; the refused take above cost nothing.
    expect(bucket.take().allowed).toBe(true);
    expect(bucket.take().allowed).toBe(false);
    now = 60_000;
    expect(bucket.available()).toBe(4);
  });

  it('says how many whole seconds until a token is back', () => {
    let now = 0;
    const slow = new TokenBucket({ rateLimit: 1, burstLimit: 1 }, () => now);
    expect(slow.take().allowed).toBe(true);
    expect(slow.take()).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now = 900;
    // 0.9 of a token: a tenth of a second to go, said as the one whole second Retry-After can carry.
    expect(slow.take()).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now = 1000;
    expect(slow.take().allowed).toBe(true);
  });

  it('takes no tokens away when the clock steps back, and counts none twice', () => {
    let now = 10_000;
    const bucket = new TokenBucket({ rateLimit: 1, burstLimit: 2 }, () => now);
    bucket.take();
    bucket.take();
    now = 5_000;
    expect(bucket.available()).toBe(0);
    now = 11_000;
    expect(bucket.available()).toBe(1);
  });
});

describe('throttle limits', () => {
  it('keep the tenant default below the stage, and Retry-After at 1 s because no rate is below 1 a second', () => {
    expect(DEFAULT_TENANT_THROTTLE.rateLimit).toBeLessThan(DEFAULT_STAGE_THROTTLE.rateLimit);
    expect(DEFAULT_TENANT_THROTTLE.burstLimit).toBeLessThan(DEFAULT_STAGE_THROTTLE.burstLimit);
    expect(RETRY_AFTER_SECONDS).toBe(1);
    // At the slowest rate allowed, an empty bucket has a token again within RETRY_AFTER_SECONDS.
    let now = 0;
    const slowest = new TokenBucket(validateThrottle('t', { rateLimit: 1, burstLimit: 1 }), () => now);
    slowest.take();
    now = RETRY_AFTER_SECONDS * 1000;
    expect(slowest.take().allowed).toBe(true);
  });

  it('are whole numbers within the account quota', () => {
    expect(validateThrottle('x', { rateLimit: 50, burstLimit: 100 })).toEqual({ rateLimit: 50, burstLimit: 100 });
    expect(() => validateThrottle('tenantThrottle', { rateLimit: 0, burstLimit: 1 })).toThrow(
      /tenantThrottle.rateLimit must be a whole number from 1 to 10000, got 0/,
    );
    expect(() => validateThrottle('x', { rateLimit: 1.5, burstLimit: 1 })).toThrow(/rateLimit/);
    expect(() => validateThrottle('x', { rateLimit: 1, burstLimit: 5001 })).toThrow(/burstLimit must be a whole number from 1 to 5000/);
    expect(() => validateThrottle('x', { rateLimit: Number.NaN, burstLimit: 1 })).toThrow(/rateLimit/);
  });
});

describe('pacer', () => {
  it('lets calls through while the bucket has tokens, then waits the retry-after for each', async () => {
    let now = 0;
    const slept: number[] = [];
    const pace = pacer(
      { rateLimit: 2, burstLimit: 2 },
      async (ms) => {
        slept.push(ms);
        now += ms;
      },
      () => now,
    );
    for (let i = 0; i < 5; i++) await pace();
    // Two at once, then a whole second (Retry-After's unit) buys two more.
    expect(slept).toEqual([1000, 1000]);
  });
});
