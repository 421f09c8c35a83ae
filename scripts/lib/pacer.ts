import type { ThrottleLimits } from '../../functions/domain/throttle.js';
import { TokenBucket } from '../../functions/domain/token-bucket.js';

/**
 * Waits, before each call it paces, until a token bucket at `limits` has a token: how the CLI
 * keeps a long run of control-plane calls within API Gateway's per-account rates.
 */
export function pacer(
  limits: ThrottleLimits,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => number = Date.now,
): () => Promise<void> {
  const bucket = new TokenBucket(limits, now);
  return async () => {
    for (;;) {
      const taken = bucket.take();
      if (taken.allowed) return;
      await sleep(taken.retryAfterSeconds * 1000);
    }
  };
}
